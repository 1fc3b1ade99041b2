//! The inspector (`xentara-ws inspect`): what it prints for valid messages and for messages with parts
//! that do not decode, line by line, and its exit status.
//!
//! The example's `run` (`xentara_ws_support::inspect`) — all of `main` but the process's
//! own arguments, stdin and exit — is called directly, as `load` does with the load
//! generator: Cargo gives tests the path of `[[bin]]` targets only, not of examples.

use xentara_ws_support::inspect;

/// The element UUID of the spec's examples, `37(h'E3EE10714D884BA18E5D0F1E4CE25EE8')`.
const UUID: &str = "d82550 e3ee10714d884ba18e5d0f1e4ce25ee8";

/// Runs inspect with `args` and `stdin`: its exit status and its output.
fn inspect(args: &[&str], stdin: &str) -> (u8, String) {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let mut out = Vec::new();
    let status = inspect::run(&args, stdin.as_bytes(), &mut out);
    (status, String::from_utf8(out).unwrap())
}

/// Runs inspect on one message given as its argument.
fn one(hex: &str) -> (u8, String) {
    inspect(&[hex], "")
}

/// The message with `UUID` where it says `{U}`.
fn with_uuid(hex: &str) -> String {
    hex.replace("{U}", UUID)
}

#[test]
fn the_readme_command_prints_the_seed_request() {
    let expected = "\
message: 1 packet, 27 bytes
[0] request, message id 65, opcode 13 close_sub_session
      session_id: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
";
    let seed = "81840018410da100d82550e3ee10714d884ba18e5d0f1e4ce25ee8";
    assert_eq!(one(seed), (0, expected.to_owned()));
    // Arguments together form one message, spaces allowed.
    let split = [
        "8184001841 0da100",
        "d82550e3ee10714d884ba18e5d0f1e4ce25ee8",
    ];
    assert_eq!(inspect(&split, ""), (0, expected.to_owned()));
}

#[test]
fn a_subscribe_entry_that_does_not_decode_is_an_error_line() {
    // [[0, 1, 6, {0: [{0: 37(h'E3EE…')}]}]]: the entry lacks key 1 (its attributes).
    let (status, out) = one(&with_uuid("81 84 00 01 06 a1 00 81 a1 00 {U}"));
    let expected = "\
message: 1 packet, 29 bytes
[0] request, message id 1, opcode 6 subscribe
      entries:
        [0] error -32602: missing key 1 in subscription_entry.attributes at byte 8
";
    assert_eq!((status, out.as_str()), (1, expected));
}

#[test]
fn a_good_subscribe_shows_every_entry_and_a_bad_one_beside_them() {
    // [[0, 5, 6, {0: [{0: 37(h'E3EE…'), 1: [9, 11]}], 1: 100, 3: 37(h'E3EE…')}]]
    let good = with_uuid("81 84 00 05 06 a3 00 81 a2 00 {U} 01 82 09 0b 01 18 64 03 {U}");
    let expected = "\
message: 1 packet, 56 bytes
[0] request, message id 5, opcode 6 subscribe
      entries:
        [0] element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
            attributes:
              [0] Standard(Quality)
              [1] Standard(Value)
      maximum_update_rate: 100
      desired_subscription_id: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
";
    assert_eq!(one(&good), (0, expected.to_owned()));

    // A second entry {0: 1, 2: 1} whose element is not a UUID; an empty attribute list.
    let bad = with_uuid(
        "81 84 00 05 06 a2 00 83 a2 00 {U} 01 82 09 0b a2 00 01 02 01 a2 00 {U} 01 80 01 18 64",
    );
    let expected = "\
message: 1 packet, 64 bytes
[0] request, message id 5, opcode 6 subscribe
      entries:
        [0] element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
            attributes:
              [0] Standard(Quality)
              [1] Standard(Value)
        [1] error -32602: invalid UUID in subscription_entry.element at byte 35
        [2] element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
            attributes: []
      maximum_update_rate: 100
";
    assert_eq!(one(&bad), (1, expected.to_owned()));
}

#[test]
fn a_read_with_a_bad_attribute_id_shows_the_good_one_and_the_error() {
    // [[0, 7, 4, {0: 37(h'E3E3…'), 1: [11, "quality"]}]] (the crate's own doc example)
    let message = format!(
        "81 84 00 07 04 a2 00 d8 25 50 {} 01 82 0b 67 7175616c697479",
        "e3".repeat(16)
    );
    let expected = "\
message: 1 packet, 37 bytes
[0] request, message id 7, opcode 4 read
      element: e3e3e3e3-e3e3-e3e3-e3e3-e3e3e3e3e3e3
      attributes:
        [0] Standard(Value)
        [1] error -32602: expected attribute id (unsigned integer or UUID) in read.attributes at byte 29
";
    assert_eq!(one(&message), (1, expected.to_owned()));
}

/// `[[8, 0, {0: 1(1700000000), 1: 37(h'E3EE…'), 2: VALUES}]]`: a data-change event.
fn event(values: &str) -> String {
    with_uuid(&format!(
        "81 83 08 00 a3 00 c1 1a 6553f100 01 {{U}} 02 {values}"
    ))
}

#[test]
fn a_data_change_event_shows_its_values_or_the_error_of_one() {
    // {9: 121(3), 11: 122({0: -32107, 1: "no value"})}
    let good = event("a2 09 d879 03 0b d87a a2 00 397d6a 01 68 6e6f2076616c7565");
    let expected = "\
message: 1 packet, 56 bytes
[0] event, data_change
      time: Seconds(1700000000)
      element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
      Quality: 3
      Value: error -32107 (Illegal Value): \"no value\"
";
    assert_eq!(one(&good), (0, expected.to_owned()));

    // {11: 42}: the value is not tagged 121 or 122.
    let untagged = event("a1 0b 18 2a");
    let expected = "\
message: 1 packet, 37 bytes
[0] event, data_change
      time: Seconds(1700000000)
      element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
      error -32602: expected tag 121/122 alternative in attribute result at byte 35
";
    assert_eq!(one(&untagged), (1, expected.to_owned()));

    // {11: 122(5)}: an error result that is not an error object.
    let not_a_map = event("a1 0b d87a 05");
    let expected = "\
message: 1 packet, 38 bytes
[0] event, data_change
      time: Seconds(1700000000)
      element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
      error -32602: expected map in error at byte 37
";
    assert_eq!(one(&not_a_map), (1, expected.to_owned()));

    // {9: 121(3), 11: 42}: the good value stands beside the bad one.
    let one_bad = event("a2 09 d879 03 0b 18 2a");
    let expected = "\
message: 1 packet, 41 bytes
[0] event, data_change
      time: Seconds(1700000000)
      element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
      Quality: 3
      error -32602: expected tag 121/122 alternative in attribute result at byte 39
";
    assert_eq!(one(&one_bad), (1, expected.to_owned()));
}

#[test]
fn success_items_are_typed_element_by_element() {
    let stdin = [
        // [[0, 2, 1, {0: 37(h'00…')}]]: browse from the root.
        "8184000201a100d82550 00000000000000000000000000000000".to_owned(),
        // [[1, 2, [["Group 1", 37(h'E3EE…'), 1]]]]: a child that is an array, not a map.
        with_uuid("81 83 01 02 81 83 67 47726f75702031 {U} 01"),
        // [[1, 2, [{0: "Group 1", 1: 37(h'E3EE…'), 2: 1}, {}]]]
        with_uuid("81 83 01 02 82 a3 00 67 47726f75702031 01 {U} 02 01 a0"),
        // [[0, 3, 4, {0: 37(h'E3EE…'), 1: [11, 9]}]]: read.
        with_uuid("81 84 00 03 04 a2 00 {U} 01 82 0b 09"),
        // [[1, 3, {9: 121(3), 11: 122({0: -32107, 1: "no value"})}]]
        "81830103 a2 09 d879 03 0b d87a a2 00 397d6a 01 68 6e6f2076616c7565".to_owned(),
        // [[1, 3, {9: 11, 11: 121(5)}]]: the first result is not tagged.
        "81830103 a2 09 0b 0b d879 05".to_owned(),
        // [[1, 9, 37(h'E3EE…')]]: no request 9 was seen, so not typed.
        with_uuid("81 83 01 09 {U}"),
    ]
    .join("\n");
    let expected = "\
message: 1 packet, 26 bytes
[0] request, message id 2, opcode 1 browse
      element: 00000000-0000-0000-0000-000000000000
message: 1 packet, 34 bytes
[0] success, message id 2, browse item:
      [0] error -32602: expected map in browse_entry at byte 5
message: 1 packet, 38 bytes
[0] success, message id 2, browse item:
      [0] primary_key: \"Group 1\"
          element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
          category: ElementGroup
      [1] error -32602: missing key 0 in browse_entry.primary_key at byte 37
message: 1 packet, 30 bytes
[0] request, message id 3, opcode 4 read
      element: e3ee1071-4d88-4ba1-8e5d-0f1e4ce25ee8
      attributes:
        [0] Standard(Value)
        [1] Standard(Quality)
message: 1 packet, 27 bytes
[0] success, message id 3, read item:
      Quality: 3
      Value: error -32107 (Illegal Value): \"no value\"
message: 1 packet, 11 bytes
[0] success, message id 3, read item:
      error -32602: expected tag 121/122 alternative in attribute result at byte 6
      Value: 5
message: 1 packet, 23 bytes
[0] success, message id 9, item: 37(h'e3ee10714d884ba18e5d0f1e4ce25ee8')
";
    assert_eq!(inspect(&[], &stdin), (1, expected.to_owned()));
}

#[test]
fn the_exit_status_is_1_when_anything_failed_else_0() {
    // Every message good: 0.
    let good = "818300184108\n\n818301184102\n";
    let expected = "\
message: 1 packet, 6 bytes
[0] request, message id 65, opcode 8 get_stage
message: 1 packet, 6 bytes
[0] success, message id 65, get_stage item: GetStage(Operational)
";
    assert_eq!(inspect(&[], good), (0, expected.to_owned()));

    // One bad line among good ones: 1, and the lines after it are still read.
    let mixed = "818300184108\nzz\n80\n818301184102\n";
    let expected = "\
message: 1 packet, 6 bytes
[0] request, message id 65, opcode 8 get_stage
error -32700: not hex at byte 0
message: 0 packets, 1 bytes
message: 1 packet, 6 bytes
[0] success, message id 65, get_stage item: GetStage(Operational)
";
    assert_eq!(inspect(&[], mixed), (1, expected.to_owned()));

    // [[0, 1], [1, 65]]: a packet that does not decode (no opcode), then one that does.
    let (status, out) = one("82 82 00 01 82 01 18 41");
    let expected = "\
message: 2 packets, 8 bytes
[0] error -32700: missing or malformed packet header field in opcode at byte 4
[1] success, message id 65, no item
";
    assert_eq!((status, out.as_str()), (1, expected));
}
