//! `chat-tui-bench`: the client with a long history (issue 15). A benchmark, not a test:
//! it prints figures and asserts nothing about time.
//!
//! What runs is the real client core: `app::update` for every event and `ui::render`
//! into a ratatui `TestBackend` (the same `Terminal::draw` path the driver takes, minus
//! the bytes to a tty). Only the server is stood in for: a vector of generated messages
//! answers each `Command::LoadOlder` the client asks for with the `NetEvent::Page` that
//! `net::calls::load_page` would deliver (50 a page, oldest first), at once, as a very
//! fast server would. So history arrives exactly as it does while a user scrolls up.
//!
//! Phases:
//! 1. incoming messages with only the newest page loaded (the view following, the pane
//!    full): `update` time per `MessagePosted` event — the ssh gateway's hot path;
//! 2. PageUp from the newest message to "start of the conversation", loading every
//!    page on the way, a frame rendered after every key;
//! 3. PageDown back to the newest, a frame after every key;
//! 4. incoming messages again, now with the whole history held.
//!
//! Memory (VmRSS, VmHWM of this process) is read before loading, after loading and
//! after scrolling.

use anyhow::{Context, Result, bail};
use chat_protocol::chat::v1::event::Payload;
use chat_protocol::chat::v1::{
    Event as ChatEvent, Message, MessagePosted, ReactionCount, Room, RoomKind,
};
use chat_tui::app::state::{Connection, Settings, State};
use chat_tui::app::{Command, Effect, Event, NetEvent, Page, PageKind, update};
use chat_tui::keymap::KeyMap;
use chat_tui::ui;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// What `net::calls` asks the server for per page.
const PAGE_SIZE: usize = 50;
/// 2026-03-01 00:00:00 UTC.
const BASE_SECONDS: i64 = 1_772_323_200;
const AUTHORS: [&str; 7] = ["alice", "bob", "carol", "dmitri", "eve", "françois", "me"];

struct Args {
    messages: usize,
    width: u16,
    height: u16,
    events: usize,
}

fn parse_args() -> Result<Args> {
    let mut args = Args {
        messages: 100_000,
        width: 200,
        height: 60,
        events: 1_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--messages" => args.messages = value()?.parse()?,
            "--width" => args.width = value()?.parse()?,
            "--height" => args.height = value()?.parse()?,
            "--events" => args.events = value()?.parse()?,
            "-h" | "--help" => {
                println!(
                    "chat-tui-bench [--messages 100000] [--width 200] [--height 60] [--events 1000]"
                );
                std::process::exit(0);
            }
            other => bail!("unknown argument {other} (try --help)"),
        }
    }
    if args.messages < 2 {
        bail!("--messages must be at least 2");
    }
    Ok(args)
}

/// A deterministic generator (xorshift): the same history on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: [&str; 24] = [
    "the",
    "deploy",
    "is",
    "green",
    "again",
    "after",
    "we",
    "rolled",
    "back",
    "migration",
    "and",
    "then",
    "lunch",
    "anyone",
    "tomorrow",
    "review",
    "please",
    "looks",
    "good",
    "to",
    "me",
    "ship",
    "it",
    "😀",
];

/// Message `n` of the history: mostly a line, some long enough to wrap at 200 columns,
/// a few with several lines, some with URLs, CJK or emoji; every 9th with reactions.
fn message(n: usize, rng: &mut Rng) -> Message {
    let author = AUTHORS[usize::try_from(rng.below(AUTHORS.len() as u64)).unwrap_or(0)];
    let words = match rng.below(20) {
        0..=11 => 3 + rng.below(12),
        12..=16 => 20 + rng.below(30),
        17 | 18 => 60 + rng.below(60),
        _ => 150 + rng.below(100),
    };
    let mut content = String::new();
    for w in 0..words {
        if w > 0 {
            content.push(if rng.below(40) == 0 { '\n' } else { ' ' });
        }
        content.push_str(WORDS[usize::try_from(rng.below(WORDS.len() as u64)).unwrap_or(0)]);
    }
    match rng.below(10) {
        0 => content.push_str(&format!(
            " see https://example.com/issues/{n}?tab=log#L{words}"
        )),
        1 => content.push_str(" 今日は会議がありますか"),
        _ => {}
    }
    let mut reactions = Vec::new();
    if n.is_multiple_of(9) {
        reactions.push(ReactionCount {
            emoji: "👍".to_owned(),
            count: 2,
            user_names: vec!["alice".to_owned(), "bob".to_owned()],
        });
        if n.is_multiple_of(27) {
            reactions.push(ReactionCount {
                emoji: "🎉".to_owned(),
                count: 1,
                user_names: vec!["me".to_owned()],
            });
        }
    }
    let seconds = BASE_SECONDS + i64::try_from(n).unwrap_or(0) * 47;
    Message {
        message_id: format!("m-{n:08}"),
        room_id: "r-lobby".to_owned(),
        user_id: format!("u-{author}"),
        user_name: author.to_owned(),
        content,
        created_at: Some(prost_types::Timestamp { seconds, nanos: 0 }),
        reactions,
        counted_reactions: 0,
        ..Default::default()
    }
}

/// The stand-in server: the history, and ListMessages over it.
struct History {
    messages: Vec<Message>,
}

impl History {
    fn new(n: usize) -> Self {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        Self {
            messages: (0..n).map(|i| message(i, &mut rng)).collect(),
        }
    }

    /// The page before `before` (or the newest), oldest first, as ListMessages answers.
    fn page(&self, before: Option<&str>) -> Page {
        let end = match before {
            // Ids are zero-padded by position, so the binary search finds it at once.
            Some(id) => self
                .messages
                .binary_search_by(|m| m.message_id.as_str().cmp(id))
                .unwrap_or_else(|i| i),
            None => self.messages.len(),
        };
        let start = end.saturating_sub(PAGE_SIZE);
        Page {
            messages: self.messages[start..end].to_vec(),
            has_more: start > 0,
        }
    }
}

#[derive(Default)]
struct Times(Vec<Duration>);

impl Times {
    fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let start = Instant::now();
        let out = f();
        self.0.push(start.elapsed());
        out
    }

    fn summary(&mut self, unit: &str) -> String {
        if self.0.is_empty() {
            return "n=0".to_owned();
        }
        self.0.sort_unstable();
        let n = self.0.len();
        let scale = |d: Duration| match unit {
            "us" => d.as_secs_f64() * 1e6,
            _ => d.as_secs_f64() * 1e3,
        };
        let at = |q: f64| {
            let i = ((n as f64 * q).ceil() as usize).clamp(1, n) - 1;
            scale(self.0[i])
        };
        format!(
            "n={n} median={:.3}{unit} p99={:.3}{unit} max={:.3}{unit}",
            at(0.5),
            at(0.99),
            scale(self.0[n - 1])
        )
    }
}

fn key(code: KeyCode) -> Event {
    Event::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn rss(label: &str) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("?")
            .to_owned()
    };
    println!(
        "rss {label}: VmRSS={} KiB VmHWM={} KiB",
        field("VmRSS:"),
        field("VmHWM:")
    );
}

/// The client: its state and a terminal of the benchmark's size.
struct Client {
    state: State,
    terminal: Terminal<TestBackend>,
    pages: Times,
    next_event_id: u64,
}

impl Client {
    /// Signed in as `me` in the lobby, with the newest page loaded.
    fn new(args: &Args, history: &History) -> Result<Self> {
        let settings = Settings {
            server: "http://127.0.0.1:9000".to_owned(),
            ..Settings::default()
        };
        let mut client = Self {
            state: State::new(settings, KeyMap::default()),
            terminal: Terminal::new(TestBackend::new(args.width, args.height))?,
            pages: Times::default(),
            next_event_id: 1,
        };
        client.event(Event::Resize(args.width, args.height));
        client.net(NetEvent::SignedIn {
            user_id: "u-me".to_owned(),
            user_name: "me".to_owned(),
        });
        client.net(NetEvent::Rooms {
            public: false,
            result: Ok(vec![Room {
                room_id: "r-lobby".to_owned(),
                name: "lobby".to_owned(),
                kind: RoomKind::Lobby as i32,
                member_count: 7,
                required_reactions: 2,
                ..Room::default()
            }]),
        });
        client.net(NetEvent::Connection(Connection::Connected));
        client.net(NetEvent::Page {
            room: String::new(),
            kind: PageKind::Newest,
            result: Ok(history.page(None)),
        });
        client.render()?;
        Ok(client)
    }

    fn net(&mut self, event: NetEvent) -> Vec<Effect> {
        update(&mut self.state, Event::Net(event))
    }

    fn event(&mut self, event: Event) -> Vec<Effect> {
        update(&mut self.state, event)
    }

    /// Answers the pages the client asked for, each as its own event (timed apart
    /// from the key that asked).
    fn serve(&mut self, history: &History, effects: Vec<Effect>) {
        let mut queue: VecDeque<Effect> = effects.into();
        while let Some(effect) = queue.pop_front() {
            if let Effect::Net(Command::LoadOlder { room, before }) = effect {
                let page = history.page(Some(&before));
                let event = Event::Net(NetEvent::Page {
                    room,
                    kind: PageKind::Older { before },
                    result: Ok(page),
                });
                let state = &mut self.state;
                let more = self.pages.time(|| update(state, event));
                queue.extend(more);
            }
        }
    }

    fn render(&mut self) -> Result<()> {
        let state = &self.state;
        self.terminal.draw(|frame| {
            ui::render(state, frame);
        })?;
        Ok(())
    }

    fn view(&self) -> (Option<usize>, usize, usize) {
        let t = &self.state.timeline;
        (t.view_bottom, t.view_lift, t.len())
    }

    /// `count` new messages from others while the view follows: `update` per event,
    /// and a frame after each (not timed here: the frames are measured while scrolling).
    fn incoming(&mut self, count: usize, first: usize) -> Result<Times> {
        let mut rng = Rng(0xD1B5_4A32_D192_ED03);
        let mut times = Times::default();
        for i in 0..count {
            let mut m = message(first + i, &mut rng);
            if m.user_id == "u-me" {
                m.user_id = "u-alice".to_owned();
                m.user_name = "alice".to_owned();
            }
            let event = Event::Net(NetEvent::Event(ChatEvent {
                event_id: self.next_event_id,
                created_at: None,
                payload: Some(Payload::MessagePosted(MessagePosted { message: Some(m) })),
            }));
            self.next_event_id += 1;
            let state = &mut self.state;
            times.time(|| update(state, event));
            self.render()?;
        }
        Ok(times)
    }
}

fn main() -> Result<()> {
    let args = parse_args()?;
    println!(
        "chat-tui-bench: {} messages of history, {}x{}, {} incoming events per phase",
        args.messages, args.width, args.height, args.events
    );
    rss("at start");
    let history = History::new(args.messages);
    rss("with the stand-in server's history generated");

    // Phase 1: the hot path of a busy room with a short history.
    let mut fresh = Client::new(&args, &history)?;
    let mut short = fresh.incoming(args.events, args.messages)?;
    println!(
        "update per incoming message, following, newest page only ({} held): {}",
        fresh.state.timeline.len(),
        short.summary("us")
    );
    drop(fresh);

    let mut client = Client::new(&args, &history)?;
    rss("before loading (newest page held)");

    // Phase 2: PageUp to the start of the conversation.
    let mut frames = Times::default();
    let mut keys_up = Times::default();
    let mut pressed = 0usize;
    loop {
        let before = client.view();
        let key = key(KeyCode::PageUp);
        let state = &mut client.state;
        let effects = keys_up.time(|| update(state, key));
        client.serve(&history, effects);
        frames.time(|| client.render())?;
        pressed += 1;
        let t = &client.state.timeline;
        if client.view() == before && !t.has_more && !t.loading_older {
            break;
        }
        if pressed > args.messages * 4 {
            bail!("PageUp never reached the start of the conversation");
        }
    }
    let held = client.state.timeline.len();
    if held != args.messages {
        bail!(
            "scrolled to the top holding {held} of {} messages",
            args.messages
        );
    }
    println!("PageUp to the oldest: {pressed} keys, {held} messages held");
    rss("after loading (at the oldest message)");

    // Phase 3: PageDown back to the newest.
    let mut keys_down = Times::default();
    let mut pressed_down = 0usize;
    while !client.state.timeline.is_following() {
        let key = key(KeyCode::PageDown);
        let state = &mut client.state;
        let effects = keys_down.time(|| update(state, key));
        client.serve(&history, effects);
        frames.time(|| client.render())?;
        pressed_down += 1;
        if pressed_down > args.messages * 4 {
            bail!("PageDown never came back to the newest message");
        }
    }
    println!("PageDown to the newest: {pressed_down} keys");
    rss("after scrolling back");

    // Phase 4: the hot path again, with everything held.
    let mut long = client.incoming(args.events, args.messages + args.events)?;
    println!(
        "update per incoming message, following, whole history held ({} held): {}",
        client.state.timeline.len(),
        long.summary("us")
    );
    rss("at the end");

    println!(
        "frames at {}x{}: {}",
        args.width,
        args.height,
        frames.summary("ms")
    );
    println!("update per PageUp: {}", keys_up.summary("us"));
    println!("update per PageDown: {}", keys_down.summary("us"));
    println!(
        "update per older page (50 messages): {}",
        client.pages.summary("us")
    );
    Ok(())
}
