//! The suite: what a case is, what it may conclude, the context it runs in, and the
//! checks most cases share.

use std::time::Instant;

use super::conn::{Conn, Exchange, Log};
use super::demo::options::Options;
use super::model::Tree;
use super::wire::{self, C, Reply};

/// What a case concluded, graded as the Autobahn suite grades what a spec leaves loose:
/// only [`Verdict::Fail`] makes a run fail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The server did what the spec says; what it did.
    Pass(String),
    /// It works, but not as the spec's wording or the project's notes on an open point
    /// prefer (another valid choice); what it did and which point.
    NonStrict(String),
    /// Nothing to judge: what the server does where the spec says nothing.
    Info(String),
    /// It did not do what the spec says; what it did instead.
    Fail(String),
    /// The server's data cannot exercise the case, it does not implement an optional
    /// command the case needs, or the runner was told not to; why.
    Skip(String),
}

impl Verdict {
    /// Every word, in the order summaries show them.
    pub const WORDS: [&'static str; 5] = ["pass", "non-strict", "info", "FAIL", "skip"];

    /// `pass`, `non-strict`, `info`, `FAIL` or `skip`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Pass(_) => "pass",
            Verdict::NonStrict(_) => "non-strict",
            Verdict::Info(_) => "info",
            Verdict::Fail(_) => "FAIL",
            Verdict::Skip(_) => "skip",
        }
    }

    /// The short why.
    pub fn why(&self) -> &str {
        match self {
            Verdict::Pass(s)
            | Verdict::NonStrict(s)
            | Verdict::Info(s)
            | Verdict::Fail(s)
            | Verdict::Skip(s) => s,
        }
    }

    /// A failure becomes `other`'s verdict, graded non-strict with `note` when `other`
    /// passes: for a point the spec leaves open, where `other` checks the other valid
    /// choice.
    pub fn or_non_strict(self, note: &str, other: impl FnOnce() -> Verdict) -> Verdict {
        match self {
            Verdict::Fail(why) => match other() {
                Verdict::Pass(got) => Verdict::NonStrict(format!("{got} ({note})")),
                _ => Verdict::Fail(why),
            },
            verdict => verdict,
        }
    }
}

/// A case's body: `Err` is a failure the runner could not get past (no answer, the
/// connection closed), reported as `FAIL`.
pub type Body = fn(&mut Ctx) -> Result<Verdict, String>;

/// One case of the suite.
pub struct Case {
    /// The spec's section it checks (`2`, `5.1`, `6.3`, …).
    pub section: &'static str,
    /// A short, stable name (`hello.missing`).
    pub id: &'static str,
    /// The rule, in the spec's words (with its section).
    pub spec: &'static str,
    /// What the case does.
    pub run: Body,
}

/// What the runner was told.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// The server's URL.
    pub url: String,
    /// Credentials (the `Authorization` header) and TLS trust, as the example client's.
    pub options: Options,
    /// Only the cases these select (all when empty): a section (`6` holds `6.3`) or the
    /// start of a case id.
    pub only: Vec<String>,
    /// Not the cases these select.
    pub skip: Vec<String>,
    /// Send suspend, shutdown and resume with wrong-typed parameters (`--stage-commands`).
    pub stage_commands: bool,
}

/// What a case runs in: the settings, its log, and the server's tree once read.
pub struct Ctx {
    /// What the runner was told.
    pub settings: Settings,
    /// The log of the case being run.
    pub log: Log,
    tree: Option<Result<Tree, String>>,
}

/// One case's result.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The spec section.
    pub section: &'static str,
    /// The case's id.
    pub id: &'static str,
    /// The rule checked.
    pub spec: &'static str,
    /// The verdict.
    pub verdict: Verdict,
    /// Every message sent and received.
    pub exchanges: Vec<Exchange>,
    /// How long it took, in milliseconds.
    pub ms: u64,
}

impl Ctx {
    /// A context for `settings`.
    pub fn new(settings: Settings) -> Self {
        Ctx {
            settings,
            log: Log::new(),
            tree: None,
        }
    }

    /// A new connection, no hello yet.
    pub fn open(&self) -> Result<Conn, String> {
        Conn::open(&self.settings.url, &self.settings.options, &self.log)
    }

    /// A new connection that has said hello.
    pub fn ready(&self) -> Result<Conn, String> {
        let mut conn = self.open()?;
        conn.hello()?;
        Ok(conn)
    }

    /// The server's tree, read on first use (its exchanges land in that case's log).
    pub fn tree(&mut self) -> Result<&Tree, String> {
        if self.tree.is_none() {
            return self.read_tree();
        }
        self.known_tree()
    }

    /// Reads the server's tree again (into this case's log), and keeps it.
    pub fn read_tree(&mut self) -> Result<&Tree, String> {
        self.tree = Some(Tree::read(self));
        self.known_tree()
    }

    /// What `pick` takes from the server's tree; a skip when the tree cannot be read, or
    /// saying `why` when `pick` finds nothing.
    pub fn pick<T>(
        &mut self,
        why: &str,
        pick: impl FnOnce(&Tree) -> Option<T>,
    ) -> Result<T, Verdict> {
        let tree = self.tree().map_err(Verdict::Skip)?;
        pick(tree).ok_or_else(|| Verdict::Skip(why.to_owned()))
    }

    fn known_tree(&self) -> Result<&Tree, String> {
        match self.tree.as_ref().expect("read before") {
            Ok(tree) => Ok(tree),
            Err(e) => Err(format!("the server's tree could not be read ({e})")),
        }
    }

    /// Runs `case`.
    pub fn run(&mut self, case: &Case) -> Outcome {
        self.log = Log::new();
        let start = Instant::now();
        let verdict = (case.run)(self).unwrap_or_else(Verdict::Fail);
        Outcome {
            section: case.section,
            id: case.id,
            spec: case.spec,
            verdict,
            exchanges: self.log.take(),
            ms: start.elapsed().as_millis() as u64,
        }
    }
}

/// Runs every case of `cases`, calling `each` with each outcome as it is known (the
/// caller picks the cases: [`Settings::chosen`]).
pub fn run(settings: Settings, cases: &[&Case], mut each: impl FnMut(&Outcome)) -> Vec<Outcome> {
    let mut ctx = Ctx::new(settings);
    cases
        .iter()
        .map(|case| {
            let outcome = ctx.run(case);
            each(&outcome);
            outcome
        })
        .collect()
}

impl Settings {
    /// Whether `--only` and `--skip` leave `case` in.
    pub fn chosen(&self, case: &Case) -> bool {
        let selects = |s: &String| selects(s, case);
        (self.only.is_empty() || self.only.iter().any(selects)) && !self.skip.iter().any(selects)
    }
}

/// Whether a selector names the case's section, a section it is in (`6` holds `6.3`), or
/// the start of its id.
fn selects(selector: &str, case: &Case) -> bool {
    case.section == selector
        || case.section.starts_with(&format!("{selector}."))
        || case.id.starts_with(selector)
}

/// The id of the probe: the request that shows a connection goes on after a bad message.
pub const PROBE: i64 = 900;

/// The probe: a second client_hello, which every server's session answers by itself
/// (-32001, spec 5.1), so that no case needs an optional command to see the connection
/// go on.
pub fn probe(id: i64) -> C {
    wire::hello(id)
}

/// Whether `reply` is the probe's due answer: error -32001.
pub fn probe_answered(reply: &Reply) -> bool {
    matches!(reply, Reply::Error { code: -32001, .. })
}

/// Fails a case with a formatted why.
macro_rules! fail {
    ($($arg:tt)*) => {
        return Ok(Verdict::Fail(format!($($arg)*)))
    };
}
pub(crate) use fail;

/// The value of a `Result<T, Verdict>`, or the case ends with that verdict.
macro_rules! take {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(verdict) => return Ok(verdict),
        }
    };
}
pub(crate) use take;

/// Sends `bad` (one message) on a connection that said hello, then the [`probe`] in the
/// next message; the responses that came before the probe's, once its answer came (`Err`
/// with why when it was not the due -32001).
pub fn then_probe(ctx: &Ctx, bad: &[u8]) -> Result<Result<Vec<Reply>, String>, String> {
    let mut conn = ctx.ready()?;
    conn.send(bad)?;
    let mut before = conn.call(&wire::message(vec![probe(PROBE)]), &[PROBE])?;
    let answer = before.pop().expect("the probe's answer comes last");
    Ok(if probe_answered(&answer) {
        Ok(before)
    } else {
        Err(format!(
            "the next request (a second client_hello) got {}, not error -32001 — the \
             connection did not go on",
            answer.brief()
        ))
    })
}

/// The common check: `bad` is answered with one error whose code is one of `codes` and
/// whose id is `id` (any id when `None`; 0 is the id of a packet whose own cannot be read),
/// and the server answers the next request on the same connection.
pub fn refused(ctx: &Ctx, bad: &[u8], id: Option<i64>, codes: &[i64]) -> Result<Verdict, String> {
    let replies = match then_probe(ctx, bad)? {
        Ok(replies) => replies,
        Err(why) => fail!("{why}"),
    };
    Ok(errors(&replies, id, codes, 1))
}

/// Whether `replies` are exactly `n` errors with a code in `codes` (and id `id`).
pub fn errors(replies: &[Reply], id: Option<i64>, codes: &[i64], n: usize) -> Verdict {
    let want = codes_text(codes);
    if replies.len() != n {
        let got: Vec<String> = replies.iter().map(Reply::brief).collect();
        return Verdict::Fail(format!(
            "{} answers, not {n} (error {want}): [{}]",
            replies.len(),
            got.join(", ")
        ));
    }
    for reply in replies {
        match reply {
            // An id that cannot be read: 0, or none (null) — the spec leaves it open.
            Reply::Error { id: got, code, .. }
                if codes.contains(code)
                    && id.is_none_or(|id| *got == Some(id) || (id == 0 && got.is_none())) => {}
            Reply::Error { id: got, code, .. } if codes.contains(code) => {
                let got = got.map_or("none".to_owned(), |id| id.to_string());
                return Verdict::Fail(format!(
                    "error {code} with id {got}, not {}",
                    id.unwrap_or_default()
                ));
            }
            other => return Verdict::Fail(format!("{}, not error {want}", other.brief())),
        }
    }
    let first = &replies[0];
    Verdict::Pass(format!("{}; the next request answered", first.brief()))
}

/// `-32602` or `-32600 or -32700`.
pub fn codes_text(codes: &[i64]) -> String {
    let codes: Vec<String> = codes.iter().map(i64::to_string).collect();
    codes.join(" or ")
}

/// The one answer to a request that must be an error with a code in `codes`.
pub fn expect_error(reply: &Reply, codes: &[i64]) -> Verdict {
    match reply {
        Reply::Error { code, .. } if codes.contains(code) => Verdict::Pass(reply.brief()),
        other => Verdict::Fail(format!(
            "{}, not error {}",
            other.brief(),
            codes_text(codes)
        )),
    }
}

/// A request that must fail with one of `codes`, on a connection that said hello.
pub fn ask_error(
    ctx: &Ctx,
    opcode: u64,
    params: Option<C>,
    codes: &[i64],
) -> Result<Verdict, String> {
    let reply = ctx.ready()?.ask(2, opcode, params)?;
    Ok(optional(opcode, &reply).unwrap_or_else(|| expect_error(&reply, codes)))
}

/// A skip when the server refuses what a case needs set up first (a write, a sub-session,
/// a stage command): it does not implement the command (-32601), the credentials have no
/// rights (-32102), or the attribute cannot be written now (-32109). The case is about
/// something else.
pub fn refused_setup(opcode: u64, reply: &Reply) -> Option<Verdict> {
    let why = match reply {
        Reply::Error { code: -32102, .. } => "the credentials have no rights for it (-32102)",
        Reply::Error { code: -32109, .. } => "the attribute cannot be written now (-32109)",
        _ => return optional(opcode, reply),
    };
    let name = xentara_ws::Opcode::from_u64(opcode)
        .map_or_else(|| format!("opcode {opcode}"), |op| op.to_string());
    Some(Verdict::Skip(format!("{name} refused: {why}")))
}

/// A skip when `reply` says the server does not implement `opcode` (-32601): the case
/// needs a command the spec does not require of every server.
pub fn optional(opcode: u64, reply: &Reply) -> Option<Verdict> {
    let name = xentara_ws::Opcode::from_u64(opcode)
        .map_or_else(|| format!("opcode {opcode}"), |op| op.to_string());
    matches!(reply, Reply::Error { code: -32601, .. })
        .then(|| Verdict::Skip(format!("the server does not implement {name} (-32601)")))
}
