//! Light-weight sub-sessions (spec 5.2, 6.12, 6.13), logged in with the runner's own
//! credentials (`--user`/`--password`, as the connection's).

use xentara_ws::{Opcode, Response, Uuid};

use super::conn::Conn;
use super::model::{attribute_where, read_one, write_params};
use super::protocol::{NOBODY, unknown};
use super::suite::{Case, Ctx, Verdict, expect_error, fail, take};
use super::wire::{C, Reply, map, t, uuid};

/// The session id the cases ask for.
const DESIRED: Uuid = Uuid::from_u128(0x78656e74_6172_4177_b373_736573000001);

/// The credentials of the command line, or a skip.
fn credentials(c: &Ctx) -> Result<(String, String), Verdict> {
    let options = &c.settings.options;
    match &options.user {
        Some(user) => Ok((user.clone(), options.password.clone().unwrap_or_default())),
        None => Err(Verdict::Skip(
            "no --user/--password to log a sub-session in with".into(),
        )),
    }
}

/// `{0: 123({0: user, 1: password}), 1?: desired}`.
fn create(user: &str, password: &str, desired: Option<Uuid>) -> C {
    let login = C::Tag(123, Box::new(map([(0, t(user)), (1, t(password))])));
    let mut params = vec![(0, login)];
    params.extend(desired.map(|d| (1, uuid(d))));
    C::M(params)
}

/// Opens a sub-session (request `id`): its UUID, or the case's verdict (a skip when the
/// server refuses to set it up).
fn open(conn: &mut Conn, id: i64, params: C) -> Result<Result<Uuid, Verdict>, String> {
    let reply = conn.ask(id, 12, Some(params))?;
    if let Some(skip) = super::suite::refused_setup(12, &reply) {
        return Ok(Err(skip));
    }
    let Reply::Success { item, .. } = &reply else {
        let why = format!("create_sub_session: {}", reply.brief());
        return Ok(Err(Verdict::Fail(why)));
    };
    Ok(
        match Response::decode_item(Opcode::CreateSubSession, item.as_deref()) {
            Ok(Response::CreateSubSession(session)) => Ok(session),
            _ => Err(Verdict::Fail(format!(
                "create_sub_session: {}, not a UUID",
                reply.brief()
            ))),
        },
    )
}

fn close(conn: &mut Conn, id: i64, session: Uuid) -> Result<Reply, String> {
    conn.ask(id, 13, Some(map([(0, uuid(session))])))
}

macro_rules! ok {
    ($e:expr) => {
        match $e? {
            Ok(v) => v,
            Err(verdict) => return Ok(verdict),
        }
    };
}

/// The cases of this module.
pub const CASES: &[Case] = &[
    Case {
        section: "5.2",
        id: "sub_session.create-close",
        spec: "6.12: create_sub_session answers the session UUID; 6.13: close_sub_session [1, id], and -32111 for it once closed",
        run: |c| {
            let (user, password) = take!(credentials(c));
            let mut conn = c.ready()?;
            let session = ok!(open(&mut conn, 2, create(&user, &password, None)));
            match close(&mut conn, 3, session)? {
                Reply::Success { item: None, .. } => {}
                other => fail!("close_sub_session: {}", other.brief()),
            }
            let again = close(&mut conn, 4, session)?;
            Ok(match expect_error(&again, &[-32111]) {
                Verdict::Pass(_) => Verdict::Pass(format!(
                    "{session} opened and closed; closing it again: {}",
                    again.brief()
                )),
                Verdict::Fail(why) => Verdict::Fail(format!("closing it again: {why}")),
                skip => skip,
            })
        },
    },
    Case {
        section: "5.2",
        id: "sub_session.desired-id",
        spec: "5.2, 6.12: the desired id is the session's; asked for again, the session is replaced (same id)",
        run: |c| {
            let (user, password) = take!(credentials(c));
            let mut conn = c.ready()?;
            for id in [2, 3] {
                let session = ok!(open(&mut conn, id, create(&user, &password, Some(DESIRED))));
                if session != DESIRED {
                    fail!("request {id}: session {session}, not the desired {DESIRED}");
                }
            }
            match close(&mut conn, 4, DESIRED)? {
                Reply::Success { .. } => Ok(Verdict::Pass(format!(
                    "{DESIRED} twice (replaced), then closed"
                ))),
                other => fail!("close_sub_session: {}", other.brief()),
            }
        },
    },
    Case {
        section: "5.2",
        id: "sub_session.bad-credentials",
        spec: "6.12: -32102 access denied (bad credentials)",
        run: |c| {
            let (user, password) = take!(credentials(c));
            let reply = c.ready()?.ask(
                2,
                12,
                Some(create(&user, &format!("{password}-wrong"), None)),
            )?;
            Ok(expect_error(&reply, &[-32102]))
        },
    },
    Case {
        section: "5.2",
        id: "sub_session.nil-desired-id",
        spec: "5.2: the desired id must not be the nil UUID (-32602, presumed)",
        run: |c| {
            let (user, password) = take!(credentials(c));
            let reply = c
                .ready()?
                .ask(2, 12, Some(create(&user, &password, Some(Uuid::nil()))))?;
            Ok(expect_error(&reply, &[-32602]))
        },
    },
    Case {
        section: "5.2",
        id: "sub_session.unknown",
        spec: "6.13: -32111 unknown session id",
        run: |c| unknown(c, 13, map([(0, uuid(NOBODY))]), &[-32111]),
    },
    Case {
        section: "5.2",
        id: "sub_session.write",
        spec: "5.2, 6.5: a write naming a sub-session (key 3) is checked for both identities: the runner's own, so it succeeds",
        run: |c| {
            let (user, password) = take!(credentials(c));
            let (point, attr) = take!(attribute_where(
                c,
                "no attribute is readable and writable",
                |a| { a.access == xentara_ws::Access::ReadWrite }
            ));
            let mut conn = c.ready()?;
            let session = ok!(open(&mut conn, 2, create(&user, &password, None)));
            let value = read_one(&mut conn, 3, &point, &attr)?;
            let params = write_params(&point, &attr, C::Raw(value), [(3, uuid(session))]);
            let reply = conn.ask(4, 5, Some(params))?;
            let _ = close(&mut conn, 5, session);
            match reply {
                Reply::Success { .. } => Ok(Verdict::Pass(format!(
                    "{:?} of {:?} written back in {session}",
                    attr.name, point.element.key
                ))),
                other => fail!("{}", other.brief()),
            }
        },
    },
];
