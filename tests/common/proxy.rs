//! A TCP proxy of the tests' own between a laptop and the hub, to make real network faults:
//! sever every connection, stall, cut a connection after N bytes in one direction, or lose
//! (or hold) what the hub sends back once the laptop has sent N bytes — the reply to a push
//! the hub has committed. TLS stays end to end: the proxy only moves bytes. It runs on a
//! thread of its own, so tests that block on the CLI binary and async tests can both use it.
#![allow(dead_code)]
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// Which way bytes travel: `Up` from the laptop to the hub, `Down` back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dir {
    Up,
    Down,
}

/// What the proxy does to the connections it carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// Every byte goes through.
    Pass,
    /// New connections are closed at once (the hub looks unreachable).
    Refuse,
    /// Nothing moves either way; connections stay open.
    Stall,
    /// Per connection: `after` bytes go through in `dir`, then both sides are cut.
    Cut { dir: Dir, after: u64 },
    /// Per connection: once the laptop has sent `after_up` bytes, the first bytes the hub
    /// sends back are dropped and both sides cut.
    LoseReply { after_up: u64 },
    /// As `LoseReply`, but the hub's bytes are held and the connection stays open.
    HoldReply { after_up: u64 },
}

struct Conn {
    up: AtomicU64,
    down: AtomicU64,
    /// Sizes of the reads the proxy moved, in order (what a cut can fall between).
    transcript: Mutex<Vec<(Dir, usize)>>,
    kill: watch::Sender<bool>,
}

#[derive(Default)]
struct Shared {
    fault: Mutex<Option<Fault>>,
    conns: Mutex<Vec<Arc<Conn>>>,
    /// Hub replies dropped or held so far.
    replies_stopped: AtomicU64,
}

impl Shared {
    fn fault(&self) -> Fault {
        self.fault.lock().unwrap().unwrap_or(Fault::Pass)
    }
}

pub struct Proxy {
    pub port: u16,
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Proxy {
    /// A proxy on 127.0.0.1 (a free port) in front of the hub at 127.0.0.1:`upstream`.
    pub fn start(upstream: u16) -> Proxy {
        let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let shared = Arc::new(Shared::default());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let s = shared.clone();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let listener = TcpListener::from_std(std_listener).unwrap();
                tokio::select! {
                    _ = accept_loop(listener, upstream, s.clone()) => {}
                    _ = stopped => {}
                }
                for c in s.conns.lock().unwrap().iter() {
                    let _ = c.kill.send(true);
                }
            });
        });
        Proxy {
            port,
            shared,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Replaces a hub URL's port with the proxy's (the certificate names localhost, so
    /// TLS verification still holds).
    pub fn url(&self, hub_url: &str, hub_port: u16) -> String {
        hub_url.replace(
            &format!("localhost:{hub_port}/"),
            &format!("localhost:{}/", self.port),
        )
    }

    pub fn set(&self, fault: Fault) {
        *self.shared.fault.lock().unwrap() = Some(fault);
    }

    /// Cuts every connection open now (new ones follow the current fault).
    pub fn sever(&self) {
        for c in self.shared.conns.lock().unwrap().iter() {
            let _ = c.kill.send(true);
        }
    }

    /// How many hub replies `LoseReply`/`HoldReply` have stopped so far.
    pub fn replies_stopped(&self) -> u64 {
        self.shared.replies_stopped.load(Ordering::SeqCst)
    }

    /// The reads moved on each connection opened so far, oldest connection first.
    pub fn transcripts(&self) -> Vec<Vec<(Dir, usize)>> {
        self.shared
            .conns
            .lock()
            .unwrap()
            .iter()
            .map(|c| c.transcript.lock().unwrap().clone())
            .collect()
    }

    /// Forgets the connections seen so far (their transcripts), cutting any still open.
    pub fn reset(&self) {
        self.sever();
        self.shared.conns.lock().unwrap().clear();
        self.set(Fault::Pass);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, upstream: u16, shared: Arc<Shared>) {
    loop {
        let Ok((client, _)) = listener.accept().await else {
            continue;
        };
        if shared.fault() == Fault::Refuse {
            drop(client);
            continue;
        }
        let Ok(hub) = TcpStream::connect(("127.0.0.1", upstream)).await else {
            continue;
        };
        let _ = client.set_nodelay(true);
        let _ = hub.set_nodelay(true);
        let (kill, killed) = watch::channel(false);
        let conn = Arc::new(Conn {
            up: AtomicU64::new(0),
            down: AtomicU64::new(0),
            transcript: Mutex::new(Vec::new()),
            kill,
        });
        shared.conns.lock().unwrap().push(conn.clone());
        let (cr, cw) = client.into_split();
        let (hr, hw) = hub.into_split();
        tokio::spawn(pump(
            cr,
            hw,
            Dir::Up,
            conn.clone(),
            shared.clone(),
            killed.clone(),
        ));
        tokio::spawn(pump(hr, cw, Dir::Down, conn, shared.clone(), killed));
    }
}

/// What to do with the next `n` bytes read in `dir`.
enum Step {
    Forward(usize),
    /// Forward this many, then cut the connection.
    ForwardThenCut(usize),
    Hold,
}

fn decide(fault: Fault, dir: Dir, conn: &Conn, n: usize) -> Step {
    match fault {
        Fault::Pass | Fault::Refuse => Step::Forward(n),
        Fault::Stall => Step::Hold,
        Fault::Cut { dir: d, after } if d == dir => {
            let sent = match dir {
                Dir::Up => conn.up.load(Ordering::SeqCst),
                Dir::Down => conn.down.load(Ordering::SeqCst),
            };
            let room = after.saturating_sub(sent) as usize;
            if room < n {
                Step::ForwardThenCut(room)
            } else {
                Step::Forward(n)
            }
        }
        Fault::Cut { .. } => Step::Forward(n),
        Fault::LoseReply { after_up } if dir == Dir::Down => {
            if conn.up.load(Ordering::SeqCst) >= after_up {
                Step::ForwardThenCut(0)
            } else {
                Step::Forward(n)
            }
        }
        Fault::HoldReply { after_up } if dir == Dir::Down => {
            if conn.up.load(Ordering::SeqCst) >= after_up {
                Step::Hold
            } else {
                Step::Forward(n)
            }
        }
        Fault::LoseReply { .. } | Fault::HoldReply { .. } => Step::Forward(n),
    }
}

async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    dir: Dir,
    conn: Arc<Conn>,
    shared: Arc<Shared>,
    mut killed: watch::Receiver<bool>,
) {
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        quick_ack(&from);
        let n = tokio::select! {
            r = from.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            },
            _ = killed.wait_for(|k| *k) => return,
        };
        quick_ack(&from);
        // Decide (again, while held) until the bytes may move or the connection is cut.
        let mut counted_stop = false;
        let step = loop {
            match decide(shared.fault(), dir, &conn, n) {
                Step::Hold => {
                    if !counted_stop && dir == Dir::Down {
                        counted_stop = true;
                        if matches!(shared.fault(), Fault::HoldReply { .. }) {
                            shared.replies_stopped.fetch_add(1, Ordering::SeqCst);
                        }
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(5)) => {}
                        _ = killed.wait_for(|k| *k) => return,
                    }
                }
                other => break other,
            }
        };
        let (forward, cut) = match step {
            Step::Forward(k) => (k, false),
            Step::ForwardThenCut(k) => (k, true),
            Step::Hold => unreachable!("held above"),
        };
        if forward > 0 {
            if to.write_all(&buf[..forward]).await.is_err() {
                break;
            }
            let counter = match dir {
                Dir::Up => &conn.up,
                Dir::Down => &conn.down,
            };
            counter.fetch_add(forward as u64, Ordering::SeqCst);
            conn.transcript.lock().unwrap().push((dir, forward));
        }
        if cut {
            if dir == Dir::Down && forward == 0 {
                shared.replies_stopped.fetch_add(1, Ordering::SeqCst);
            }
            let _ = conn.kill.send(true);
            return;
        }
    }
    // An orderly end on one side ends the other's writing, as TCP would.
    let _ = to.shutdown().await;
}

/// Acknowledges what arrives at once instead of after Linux's 40 ms delayed ACK (re-armed
/// on every read, as the kernel clears it). sqlx 0.9.0 leaves Nagle's algorithm on (its
/// TCP_NODELAY came back only after that release: launchbadge/sqlx#4335), so a laptop
/// writing two small TLS records in a row waits for this ACK twice per login; through the
/// proxy it does not, which keeps the campaign's hundreds of logins fast.
fn quick_ack(socket: &OwnedReadHalf) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option value of the right size.
    unsafe {
        libc::setsockopt(
            AsRef::<TcpStream>::as_ref(socket).as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_QUICKACK,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}
