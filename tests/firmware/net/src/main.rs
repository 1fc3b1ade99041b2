//! The Xentara WebSocket API served from an emulated Cortex-M4 (QEMU `mps2-an386`): the
//! board's LAN9118 Ethernet controller, smoltcp for IPv4 and TCP at 10.0.2.15 (QEMU's
//! user network), the HTTP upgrade and WebSocket framing at `ws://10.0.2.15/api/ws`, and
//! a `ServerSession` per connection serving the example server's model.
//!
//! One loop polls everything: the controller and smoltcp, then each connection; it
//! sleeps (`wfi`) until the next frame or millisecond when nothing moved. Every buffer is
//! static and sized below.

#![no_std]
#![no_main]

mod clock;
mod lan9118;
mod model;
mod stack;
mod ws;

use core::mem::MaybeUninit;
use core::ptr::addr_of_mut;

use cortex_m::interrupt::InterruptNumber;
use cortex_m::peripheral::NVIC;
use cortex_m_rt::{ExceptionFrame, entry, exception};
use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet, SocketStorage};
use smoltcp::socket::tcp;
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr, Ipv4Address};
use xentara_ws::session::{ServerBuffers, ServerConfig, ServerError, ServerSession};

use lan9118::Lan9118;
use model::App;

// ---- Every size, in one place. ----

/// Connections served at once: a TCP socket, buffers and a session each. A connection
/// beyond them is refused by TCP (reset) until one ends.
const CONNECTIONS: usize = 6;
/// A TCP socket's receive window.
const TCP_RX: usize = 4096;
/// A TCP socket's send buffer: room for a whole reply message and its frame head, and
/// more behind it.
const TCP_TX: usize = 8192;
/// The largest WebSocket message taken (its fragments together): a larger one closes
/// the connection with 1009.
const MAX_MESSAGE: usize = 4096;
/// A connection's input: the HTTP request head, then the message being assembled and
/// the next frame's head.
const INPUT: usize = MAX_MESSAGE + 14;
/// The bytes of a session's reply messages (and the largest one).
const REPLY_BYTES: usize = 4096;
/// Responses a session's reply messages hold at once.
const REPLY_SLOTS: usize = 32;
/// Reply messages of a session at once.
const REPLY_MESSAGES: usize = 2;
/// Sub-sessions per connection.
const SUB_SESSIONS: usize = 4;
/// Subscriptions per connection.
const SUBSCRIPTIONS: usize = 4;
/// The message written for the wire: a reply message (its responses and the array head
/// around them) or an event message.
const OUT: usize = REPLY_BYTES + 16;
/// How long a client may take to send its upgrade request, in milliseconds.
const HANDSHAKE_MS: u64 = 5_000;
/// How long a connection may stay silent both ways (nothing received, nothing taken
/// by the client) before it is closed with 1001, in milliseconds.
const IDLE_MS: u64 = 300_000;
/// How long a closing connection waits for the client's part, in milliseconds.
const CLOSING_MS: u64 = 2_000;

/// How often the stack's high-water mark is looked at (and printed when it grew), in
/// milliseconds.
const STACK_REPORT_MS: u64 = 1_000;

/// The port served.
const PORT: u16 = 80;
/// QEMU user networking's guest address and gateway.
const ADDRESS: Ipv4Address = Ipv4Address::new(10, 0, 2, 15);
const GATEWAY: Ipv4Address = Ipv4Address::new(10, 0, 2, 2);

/// A session's storage.
type Buffers =
    ServerBuffers<App, REPLY_BYTES, REPLY_SLOTS, REPLY_MESSAGES, SUB_SESSIONS, SUBSCRIPTIONS>;
type Session = ServerSession<'static, App>;

/// What a connection is doing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// The socket listens.
    Listen,
    /// Reading the upgrade request.
    Http,
    /// WebSocket frames.
    Open,
    /// Closed from this side: the rest the client sends is dropped.
    Closing,
}

/// A connection: its input and its session.
struct Conn {
    phase: Phase,
    /// When the phase began.
    since: u64,
    input: &'static mut [u8; INPUT],
    /// `input[..message]` is the message assembled from fragments so far,
    /// `input[message..len]` the bytes not read yet.
    message: usize,
    len: usize,
    /// A fragmented message is being assembled.
    fragmented: bool,
    session: Option<Session>,
    app: App,
    /// The session's storage: only the session borrows it, each new one emptying it.
    buffers: *mut Buffers,
}

impl Conn {
    fn new(input: &'static mut [u8; INPUT], buffers: &'static mut Buffers) -> Self {
        Conn {
            phase: Phase::Listen,
            since: 0,
            input,
            message: 0,
            len: 0,
            fragmented: false,
            session: None,
            app: App::new(0),
            buffers,
        }
    }
}

// Every buffer of the firmware, each in `.bss`: `main` takes each once.
static mut TCP_RX_BUFFERS: [[u8; TCP_RX]; CONNECTIONS] = [[0; TCP_RX]; CONNECTIONS];
static mut TCP_TX_BUFFERS: [[u8; TCP_TX]; CONNECTIONS] = [[0; TCP_TX]; CONNECTIONS];
static mut SOCKETS: [SocketStorage<'static>; CONNECTIONS] = [SocketStorage::EMPTY; CONNECTIONS];
static mut INPUTS: [[u8; INPUT]; CONNECTIONS] = [[0; INPUT]; CONNECTIONS];
static mut OUT_BUFFER: [u8; OUT] = [0; OUT];
/// The sessions' storage, a slot per connection, filled once at start (left uninitialized
/// here, so that it is in `.bss`, not in flash).
static mut BUFFERS: [MaybeUninit<Buffers>; CONNECTIONS] =
    [const { MaybeUninit::uninit() }; CONNECTIONS];

/// Fills a session slot with empty buffers, once at start (each session empties its slot
/// again). A function of its own: the value is built in its frame, then moved.
#[inline(never)]
fn fill(slot: &'static mut MaybeUninit<Buffers>) -> &'static mut Buffers {
    slot.write(Buffers::new())
}

/// Prints a line through semihosting (the QEMU console).
macro_rules! say {
    ($($arg:tt)*) => {
        cortex_m_semihosting::hprintln!($($arg)*)
    };
}

/// A line of the interrupt controller.
#[derive(Clone, Copy)]
struct Irq(u16);

// SAFETY: the numbers are interrupt lines of the board.
unsafe impl InterruptNumber for Irq {
    fn number(self) -> u16 {
        self.0
    }
}

/// The Ethernet controller's interrupt line on mps2-an386 (as QEMU wires it; 47 is the
/// AN511 image's). Waking on it rather than on the next millisecond triples the round
/// trips per second.
const ETHERNET_IRQ: u16 = 13;

#[entry]
fn main() -> ! {
    // SAFETY: `main` runs once and is the only code that takes it.
    let buffers = unsafe { &mut *addr_of_mut!(BUFFERS) };
    run(buffers.each_mut().map(fill))
}

/// Everything after the session slots are filled: in a frame of its own, so that the
/// stack holds the loop's frame or `fill`'s, never both.
#[inline(never)]
fn run(buffers: [&'static mut Buffers; CONNECTIONS]) -> ! {
    let core = cortex_m::Peripherals::take().unwrap_or_else(|| fail("peripherals"));
    clock::start(core.SYST);
    // SAFETY: `run` runs once and is the only code that takes these.
    let (tcp_rx, tcp_tx, sockets, inputs, out) = unsafe {
        (
            &mut *addr_of_mut!(TCP_RX_BUFFERS),
            &mut *addr_of_mut!(TCP_TX_BUFFERS),
            &mut *addr_of_mut!(SOCKETS),
            &mut *addr_of_mut!(INPUTS),
            &mut *addr_of_mut!(OUT_BUFFER),
        )
    };
    let mut buffers = buffers.into_iter();
    let mut conns = inputs.each_mut().map(|input| match buffers.next() {
        Some(buffers) => Conn::new(input, buffers),
        None => fail("fewer session buffers than connections"),
    });
    let Some(mut device) = Lan9118::new() else {
        fail("no LAN9118 at 0x4020_0000");
    };
    // SAFETY: the handler only acknowledges the controller; nothing is shared.
    unsafe { NVIC::unmask(Irq(ETHERNET_IRQ)) };

    let mac = device.mac();
    let mut config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
    config.random_seed = u64::from_le_bytes([mac[0], mac[1], mac[2], mac[3], mac[4], mac[5], 7, 9]);
    let mut iface = Interface::new(config, &mut device, Instant::from_millis(0));
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(ADDRESS.into(), 24));
    });
    let _ = iface.routes_mut().add_default_ipv4_route(GATEWAY);

    let mut set = SocketSet::new(&mut sockets[..]);
    let mut handles: [Option<SocketHandle>; CONNECTIONS] = [None; CONNECTIONS];
    for ((rx, tx), handle) in tcp_rx.iter_mut().zip(tcp_tx.iter_mut()).zip(&mut handles) {
        let mut socket = tcp::Socket::new(
            tcp::SocketBuffer::new(&mut rx[..]),
            tcp::SocketBuffer::new(&mut tx[..]),
        );
        socket.set_nagle_enabled(false);
        socket.set_ack_delay(None);
        *handle = Some(set.add(socket));
    }
    say!(
        "serving ws://{}:{}/api/ws ({} connections)",
        ADDRESS,
        PORT,
        CONNECTIONS
    );

    let mut deepest = 0;
    let mut looked = 0;
    loop {
        let now = clock::now();
        if now >= looked + STACK_REPORT_MS {
            looked = now;
            let used = stack::high_water();
            if used > deepest {
                deepest = used;
                say!("stack high-water: {} bytes", used);
            }
        }
        let mut busy =
            iface.poll(Instant::from_millis(now as i64), &mut device, &mut set) != PollResult::None;
        for (slot, (conn, handle)) in conns.iter_mut().zip(&handles).enumerate() {
            let Some(handle) = handle else { continue };
            let socket = set.get_mut::<tcp::Socket>(*handle);
            busy |= serve(slot, conn, socket, now, &mut out[..]);
        }
        if !busy {
            // Until the next frame or millisecond.
            cortex_m::asm::wfi();
        }
    }
}

/// Free room in a socket's send buffer.
fn room(socket: &tcp::Socket<'_>) -> usize {
    socket.send_capacity() - socket.send_queue()
}

/// Serves one connection a step: true when something moved.
#[inline(never)]
fn serve(
    slot: usize,
    c: &mut Conn,
    socket: &mut tcp::Socket<'_>,
    now: u64,
    out: &mut [u8],
) -> bool {
    let state = socket.state();
    if matches!(state, tcp::State::Closed | tcp::State::TimeWait) {
        if state == tcp::State::TimeWait {
            socket.abort();
        }
        c.session = None;
        c.phase = Phase::Listen;
        return socket.listen(PORT).is_ok();
    }
    if c.phase == Phase::Listen {
        if matches!(state, tcp::State::Listen | tcp::State::SynReceived) {
            return false;
        }
        c.phase = Phase::Http;
        c.since = now;
        c.message = 0;
        c.len = 0;
        c.fragmented = false;
    }
    let mut busy = false;
    if c.phase == Phase::Closing {
        let mut scratch = [0u8; 64];
        while let Ok(n @ 1..) = socket.recv_slice(&mut scratch) {
            busy |= n > 0;
        }
        if now.saturating_sub(c.since) > CLOSING_MS || !socket.may_send() && !socket.may_recv() {
            socket.abort();
        }
        return busy;
    }
    if socket.can_recv()
        && c.len < INPUT
        && let Ok(n) = socket.recv_slice(&mut c.input[c.len..])
    {
        c.len += n;
        busy |= n > 0;
    }
    if c.phase == Phase::Http {
        busy |= http(slot, c, socket, now);
    } else {
        let queued = socket.send_queue();
        busy |= frames(c, socket, now, out);
        if let (Phase::Open, Some(session)) = (c.phase, c.session.as_mut()) {
            busy |= transmit(session, socket, out);
            busy |= events(session, socket, now, out);
        }
        // Silence both ways: nothing came, nothing left (a client that reads nothing
        // stops both once its window is full).
        if busy || socket.send_queue() < queued {
            c.since = now;
        } else if c.phase == Phase::Open && now.saturating_sub(c.since) > IDLE_MS {
            close_with(c, socket, now, ws::GOING_AWAY);
            return true;
        }
    }
    if !socket.may_recv() && matches!(c.phase, Phase::Http | Phase::Open) {
        // The client is gone (or half-closed): the rest of a message is dropped.
        close(c, socket, now);
        return true;
    }
    busy
}

/// Ends a connection from this side: FIN after what is queued.
fn close(c: &mut Conn, socket: &mut tcp::Socket<'_>, now: u64) {
    socket.close();
    c.session = None;
    c.phase = Phase::Closing;
    c.since = now;
}

/// Sends a close frame with `code` and closes.
fn close_with(c: &mut Conn, socket: &mut tcp::Socket<'_>, now: u64, code: u16) {
    let [hi, lo] = code.to_be_bytes();
    let _ = socket.send_slice(&[0x80 | ws::CLOSE, 2, hi, lo]);
    close(c, socket, now);
}

/// Reads the upgrade request and answers it.
#[inline(never)]
fn http(slot: usize, c: &mut Conn, socket: &mut tcp::Socket<'_>, now: u64) -> bool {
    let Some(end) = ws::head_end(&c.input[..c.len]) else {
        if c.len == INPUT {
            let _ = socket.send_slice(ws::BAD_REQUEST);
            close(c, socket, now);
            return true;
        }
        if now.saturating_sub(c.since) > HANDSHAKE_MS {
            socket.abort();
            c.phase = Phase::Listen;
            return true;
        }
        return false;
    };
    let mut response = [0u8; 160];
    match ws::upgrade(&c.input[..end], &mut response) {
        Ok(n) => {
            let _ = socket.send_slice(&response[..n]);
            c.input.copy_within(end..c.len, 0);
            c.len -= end;
            c.message = 0;
            c.phase = Phase::Open;
            c.since = now;
            c.app = App::new(slot);
            c.session = None;
            // SAFETY: `c.buffers` is this connection's own static slot; its previous
            // session, the only borrower, was dropped just above, and the new one is the
            // only borrower until it is dropped in turn.
            let buffers: &'static mut Buffers = unsafe { &mut *c.buffers };
            c.session = Some(ServerSession::new(
                ServerConfig::default(),
                buffers.storage(),
            ));
        }
        Err(refusal) => {
            let _ = socket.send_slice(refusal);
            close(c, socket, now);
        }
    }
    true
}

/// Reads the frames that are there while the socket has room for the replies.
#[inline(never)]
fn frames(c: &mut Conn, socket: &mut tcp::Socket<'_>, now: u64, out: &mut [u8]) -> bool {
    let mut busy = false;
    while c.phase == Phase::Open && room(socket) >= OUT + 10 {
        let start = c.message;
        let head = match ws::head(&c.input[start..c.len]) {
            Ok(Some(head)) => head,
            Ok(None) => break,
            Err(()) => {
                close_with(c, socket, now, ws::PROTOCOL_ERROR);
                return true;
            }
        };
        let control = head.opcode & 0x8 != 0;
        if control && (head.payload > 125 || !head.fin) {
            close_with(c, socket, now, ws::PROTOCOL_ERROR);
            return true;
        }
        if !control && head.payload > MAX_MESSAGE - c.message {
            close_with(c, socket, now, ws::TOO_BIG);
            return true;
        }
        let body = start + head.len;
        let end = body + head.payload;
        if end > c.len {
            break;
        }
        busy = true;
        ws::unmask(&mut c.input[body..end], head.mask);
        let mut message = start;
        match head.opcode {
            ws::TEXT => {
                close_with(c, socket, now, ws::UNSUPPORTED);
                return true;
            }
            ws::BINARY | ws::CONTINUATION if (head.opcode == ws::BINARY) == c.fragmented => {
                close_with(c, socket, now, ws::PROTOCOL_ERROR);
                return true;
            }
            ws::BINARY if head.fin => handle(c, socket, now, out, body..end),
            ws::BINARY | ws::CONTINUATION => {
                c.input.copy_within(body..end, start);
                message = start + head.payload;
                c.fragmented = !head.fin;
                if head.fin {
                    handle(c, socket, now, out, 0..message);
                    message = 0;
                }
            }
            ws::CLOSE => {
                // Answers with the client's code (none when it gave none).
                let code = &c.input[body..body + head.payload.min(2)];
                let mut frame = [0x80 | ws::CLOSE, code.len() as u8, 0, 0];
                frame[2..2 + code.len()].copy_from_slice(code);
                let _ = socket.send_slice(&frame[..2 + code.len()]);
                close(c, socket, now);
                return true;
            }
            ws::PING => {
                let mut head_out = [0u8; 10];
                let n = ws::server_head(ws::PONG, head.payload, &mut head_out);
                let _ = socket.send_slice(&head_out[..n]);
                let _ = socket.send_slice(&c.input[body..end]);
            }
            ws::PONG => {}
            _ => {
                close_with(c, socket, now, ws::PROTOCOL_ERROR);
                return true;
            }
        }
        if c.phase != Phase::Open {
            return true;
        }
        // What follows the frame moves up behind the message being assembled.
        c.input.copy_within(end..c.len, message);
        c.len = message + (c.len - end);
        c.message = message;
    }
    busy
}

/// Hands a message (`input[range]`) to the session and sends its replies.
#[inline(never)]
fn handle(
    c: &mut Conn,
    socket: &mut tcp::Socket<'_>,
    now: u64,
    out: &mut [u8],
    range: core::ops::Range<usize>,
) {
    let Some(session) = c.session.as_mut() else {
        return;
    };
    let message = &c.input[range];
    let mut taken = session.handle_message(message, &mut c.app);
    if let Err(ServerError::Busy { .. }) = taken {
        transmit(session, socket, out);
        taken = session.handle_message(message, &mut c.app);
    }
    match taken {
        Err(ServerError::MessageTooLarge { .. }) => close_with(c, socket, now, ws::TOO_BIG),
        Err(e) => say!("message not taken: {}", e),
        Ok(_) => {
            transmit(session, socket, out);
        }
    }
}

/// Sends the reply messages that are due while the socket has room.
fn transmit(session: &mut Session, socket: &mut tcp::Socket<'_>, out: &mut [u8]) -> bool {
    let mut busy = false;
    while room(socket) >= OUT + 10 {
        match session.poll_transmit(out) {
            Ok(Some(n)) => {
                send(socket, &out[..n]);
                busy = true;
            }
            Ok(None) => break,
            Err(e) => {
                say!("reply not sent: {}", e);
                break;
            }
        }
    }
    busy
}

/// Sends the events that are due while the socket has room, then notes the model's next
/// change.
#[inline(never)]
fn events(session: &mut Session, socket: &mut tcp::Socket<'_>, now: u64, out: &mut [u8]) -> bool {
    let mut busy = false;
    if session.poll_timeout().is_some_and(|at| at <= now) {
        while room(socket) >= OUT + 10 {
            match session.poll_events(now, out, model::fill) {
                Ok(Some(n)) => {
                    send(socket, &out[..n]);
                    busy = true;
                }
                Ok(None) => break,
                Err(e) => {
                    say!("events not sent: {}", e);
                    break;
                }
            }
        }
    }
    model::note_changes(session);
    busy
}

/// Sends a binary message as one frame (the caller checked the room).
fn send(socket: &mut tcp::Socket<'_>, message: &[u8]) {
    let mut head = [0u8; 10];
    let n = ws::server_head(ws::BINARY, message.len(), &mut head);
    let _ = socket.send_slice(&head[..n]);
    let _ = socket.send_slice(message);
}

/// Ends the run with a message and a failure status.
fn fail(what: &str) -> ! {
    say!("firmware: {}", what);
    cortex_m_semihosting::debug::exit(cortex_m_semihosting::debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo<'_>) -> ! {
    say!("panic: {}", info);
    cortex_m_semihosting::debug::exit(cortex_m_semihosting::debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    say!("hard fault: {:?}", frame);
    cortex_m_semihosting::debug::exit(cortex_m_semihosting::debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}

/// Interrupts: the Ethernet controller's (the only one enabled besides SysTick) is
/// acknowledged; its frames are read by the main loop, which the interrupt woke.
#[exception]
unsafe fn DefaultHandler(_irq: i16) {
    lan9118::acknowledge_interrupt();
}
