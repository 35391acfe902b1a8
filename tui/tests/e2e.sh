#!/usr/bin/env bash
# End-to-end: the real chat-server and three real chat-tui processes in tmux, driven
# with send-keys and read with capture-pane. Checks sign-up, live delivery, the send
# gate (draft kept, "needs N more reaction"), reactions unlocking it, and reconnecting
# after a server restart without losing anything. Also what only a real terminal shows:
# Ctrl+L redraws at once, Esc and a digit in one write react, a stopped (hung) server
# shows within 10 s and is back within 5 s of continuing, and a closed terminal ends the
# client within a moment. Rooms: a DM between alice and bob that carol never sees, and
# a mention of carol in the lobby that her room list marks while she is elsewhere. Over
# ssh: two users sign up through the real OpenSSH client and the gateway
# (`chat-tui ssh-gateway`) and go through the gate with the local clients.
#
#   cargo build -p chat-server -p chat-tui && tui/tests/e2e.sh
#
# Env: CHAT_SERVER_BIN, CHAT_TUI_BIN (default $CARGO_TARGET_DIR or target, /debug/...), E2E_TIMEOUT (seconds
# per wait, default 20), E2E_KEEP=1 keeps the temp dir and tmux sessions for a look.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$root/target}
server_bin=${CHAT_SERVER_BIN:-$target_dir/debug/chat-server}
tui_bin=${CHAT_TUI_BIN:-$target_dir/debug/chat-tui}
timeout=${E2E_TIMEOUT:-20}
work=$(mktemp -d)
sock="$work/tmux.sock"
users=(alice bob carol)
server_pid=""

tm() { tmux -S "$sock" "$@"; }

cleanup() {
    local status=$?
    if [[ $status -ne 0 ]]; then
        echo "--- FAILED; screens:" >&2
        for u in "${users[@]}"; do
            echo "--- $u" >&2
            tm capture-pane -p -t "$u" >&2 2>/dev/null || true
        done
        echo "--- server log (tail)" >&2
        tail -n 30 "$work/server.log" >&2 || true
        echo "--- gateway log (tail)" >&2
        tail -n 20 "$work/gateway.log" >&2 2>/dev/null || true
    fi
    [[ -n $server_pid ]] && kill "$server_pid" 2>/dev/null || true
    if [[ -z ${E2E_KEEP:-} ]]; then
        tm kill-server 2>/dev/null || true
        rm -rf "$work"
    else
        echo "kept $work (tmux -S $sock attach -t alice)"
    fi
    exit $status
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port"
# Shared by the server and the ssh gateway: ssh keys (README "Chat over ssh").
export CHAT__AUTH__GATEWAY_SECRET="e2e-gateway-secret-$(python3 -c 'import secrets; print(secrets.token_hex(16))')"

start_server() {
    (cd "$root" && PORT=$port CHAT__STORAGE__DATA_DIR="$work/data" \
        exec "$server_bin" serve >>"$work/server.log" 2>&1) &
    server_pid=$!
    # Wait for the port instead of sleeping a fixed time.
    local deadline=$((SECONDS + timeout))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        ((SECONDS < deadline)) || { echo "server did not start" >&2; return 1; }
        sleep 0.1
    done
}

# wait_for USER TEXT [SECONDS]: until TEXT is on USER's screen (fails after SECONDS,
# default $timeout).
wait_for() {
    local user=$1 text=$2 deadline=$((SECONDS + ${3:-$timeout}))
    until tm capture-pane -p -t "$user" | grep -qF -- "$text"; do
        ((SECONDS < deadline)) || { echo "timed out waiting for \"$text\" on $user's screen" >&2; return 1; }
        sleep 0.2
    done
    echo "ok: $user sees \"$text\""
}

# wait_re USER REGEX: like wait_for, for an extended regular expression.
wait_re() {
    local user=$1 re=$2 deadline=$((SECONDS + timeout))
    until tm capture-pane -p -t "$user" | grep -qE -- "$re"; do
        ((SECONDS < deadline)) || { echo "timed out waiting for /$re/ on $user's screen" >&2; return 1; }
        sleep 0.2
    done
    echo "ok: $user sees /$re/"
}

keys() { tm send-keys -t "$1" "${@:2}"; }
# type_line USER TEXT: literal text, then Enter.
type_line() { tm send-keys -t "$1" -l -- "$2"; tm send-keys -t "$1" Enter; }

start_server
for u in "${users[@]}"; do
    # The first session creates the tmux server; sessions are 80x24 like a plain terminal.
    tm new-session -d -s "$u" -x 80 -y 24 \
        "env CHAT_USER=$u CHAT_PASSWORD=password-$u CHAT_TUI_DATA_DIR=$work/tui-$u \
         $tui_bin --server $url --sign-up; echo EXITED \$?; sleep 600"
done
for u in "${users[@]}"; do wait_for "$u" "● connected"; done

# Live delivery.
type_line alice "hello from alice 👋 漢字"
wait_for bob "hello from alice"
wait_for carol "hello from alice"

# Ctrl+L redraws at once, without waiting for another key, and the client goes on
# working (it used to ask the terminal for the cursor position and freeze or exit).
keys bob C-l
wait_for bob "hello from alice" 3
wait_for bob "● connected" 3
tm send-keys -t bob -l -- "typed after the redraw"
wait_for bob "typed after the redraw" 3
keys bob C-u
# The same on a bare pty that never answers terminal queries, and closing it.
python3 "$root/tui/tests/pty_checks.py" "$tui_bin" "$url" "$work"

# The gate: a second message needs two reactions from others; the draft stays.
type_line alice "second message @carol"
wait_for alice "needs 2 more reaction"
wait_for alice "› second message"

# Bob reacts with 👍: Esc then 1, written in one go as over ssh, where both bytes arrive
# in one read and look like Alt+1...
tm send-keys -t bob -H 1b 31
wait_for alice "needs 1 more reaction"
# ...and Carol with 🎉 (key 6): now Alice may send.
keys carol Escape
keys carol 6
wait_for alice "you can send"
wait_for alice "👍 1  🎉 1"
# Carol goes to a room of her own; alice's message mentions her in the lobby, so her
# room list marks the lobby with the mention (and the unread count).
keys carol i
type_line carol ":create side"
wait_for carol "#side · Alt+Enter"
keys alice Enter
wait_for bob "second message"
wait_re carol "#lobby +@1 1"
keys carol C-p
wait_for carol "second message @carol"
wait_for carol "@you"

# A DM: alice opens one with bob and writes there; bob's room list shows it at once,
# carol sees nothing of it.
type_line alice ":dm bob"
wait_for alice "bob · Alt+Enter"
type_line alice "secret for bob"
wait_for alice "secret for bob"
wait_re bob "[●○] alice +1"
keys bob M-a
wait_for bob "secret for bob"
sleep 1
# Not the message, and no room named after alice in her room list (its first column).
if tm capture-pane -p -t carol | grep -q "secret" \
    || tm capture-pane -p -t carol | cut -c1-14 | grep -q "alice"; then
    echo "carol sees the DM of alice and bob" >&2
    exit 1
fi
echo "ok: carol sees nothing of the DM"
# Back to the lobby for the rest.
keys alice C-p
keys bob C-p
wait_for alice "#lobby · "
wait_for bob "#lobby · "

# A server restart: clients show it, reconnect, and catch up.
kill "$server_pid"
wait "$server_pid" 2>/dev/null || true
server_pid=""
wait_for alice "reconnecting"
start_server
keys carol i
type_line carol "after the restart"
wait_for alice "after the restart"
wait_for bob "after the restart"
for u in "${users[@]}"; do wait_for "$u" "● connected"; done
# Nothing was lost or doubled.
for u in "${users[@]}"; do
    n=$(tm capture-pane -p -t "$u" | grep -c "second message" || true)
    [[ $n -eq 1 ]] || { echo "$u shows \"second message\" $n times" >&2; exit 1; }
done

# A hung server (stopped, not killed): shown within 10 s (HTTP/2 keepalive), and the
# client is back within 5 s of the server continuing.
kill -STOP "$server_pid"
stopped_at=$SECONDS
wait_for alice "reconnecting" 10
echo "ok: the stopped server showed after $((SECONDS - stopped_at)) s"
kill -CONT "$server_pid"
wait_for alice "● connected" 5
keys bob i
type_line bob "after the pause"
wait_for alice "after the pause"

# Over ssh: the gateway, and frank and grace with nothing but OpenSSH (`new@` signs up).
ssh_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
(cd "$root" && exec "$tui_bin" --server "$url" --data-dir "$work/gateway" \
    ssh-gateway --listen "127.0.0.1:$ssh_port" >>"$work/gateway.log" 2>&1) &
gateway_pid=$!
deadline=$((SECONDS + timeout))
until (exec 3<>"/dev/tcp/127.0.0.1/$ssh_port") 2>/dev/null; do
    ((SECONDS < deadline)) || { echo "the ssh gateway did not start" >&2; exit 1; }
    sleep 0.1
done
for u in frank grace; do
    tm new-session -d -s "$u" -x 80 -y 24 \
        "ssh -p $ssh_port -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
         -o LogLevel=ERROR new@127.0.0.1; echo EXITED \$?; sleep 600"
    users+=("$u")
    wait_for "$u" "sign up"
    tm send-keys -t "$u" -l -- "$u"
    keys "$u" Tab
    tm send-keys -t "$u" -l -- "password-$u"
    keys "$u" Enter
    wait_for "$u" "● connected"
done
type_line frank "frank via ssh"
wait_for grace "frank via ssh"
wait_for alice "frank via ssh"
# The gate over ssh: frank's next message waits for two reactions, grace's (over ssh, Esc
# and 1 in one write) and alice's (local).
type_line frank "second from frank"
wait_for frank "needs 2 more reaction"
tm send-keys -t grace -H 1b 31
keys alice Escape
keys alice 1
wait_for frank "you can send"
keys frank Enter
wait_for grace "second from frank"
wait_for bob "second from frank"
# A resize of the ssh window redraws at the new size: the room list folds away.
tm resize-window -t frank -x 60 -y 20
until ! tm capture-pane -p -t frank | grep -q "Ctrl+N next"; do
    ((SECONDS < deadline + 60)) || { echo "frank's screen did not follow the resize" >&2; exit 1; }
    sleep 0.2
done
echo "ok: frank's screen follows the resize"
for u in frank grace; do keys "$u" C-c; done
for u in frank grace; do wait_for "$u" "EXITED 0"; done

# frank's ssh key: the first time it only proves itself, so OpenSSH goes on to the
# password prompt; `:key add` registers it; then the key alone opens the chat (BatchMode:
# OpenSSH may not ask anything).
ssh-keygen -q -t ed25519 -N '' -C frank@e2e -f "$work/frank_key"
ssh_as_frank="ssh -p $ssh_port -i $work/frank_key -o IdentitiesOnly=yes -o IdentityAgent=none \
    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"
tm new-session -d -s frank-key -x 100 -y 24 "$ssh_as_frank frank@127.0.0.1; echo EXITED \$?; sleep 600"
users+=(frank-key)
wait_for frank-key "frank's chat password"
tm send-keys -t frank-key -l -- "password-frank"
keys frank-key Enter
wait_for frank-key "● connected"
type_line frank-key ":key add e2e laptop"
wait_for frank-key "ssh key added: ed25519"
keys frank-key C-c
wait_for frank-key "EXITED 0"
tm new-session -d -s frank-batch -x 100 -y 24 \
    "$ssh_as_frank -o BatchMode=yes frank@127.0.0.1; echo EXITED \$?; sleep 600"
users+=(frank-batch)
wait_for frank-batch "● connected"
type_line frank-batch ":key list"
wait_for frank-batch "1 ssh key: ed25519"
wait_for frank-batch "e2e laptop"
keys frank-batch C-c
wait_for frank-batch "EXITED 0"
kill "$gateway_pid" 2>/dev/null || true
users=(alice bob carol)

# Ctrl+C quits cleanly and gives the terminal back.
for u in alice bob; do keys "$u" C-c; done
for u in alice bob; do wait_for "$u" "EXITED 0"; done

# A closed terminal (an ssh drop: SIGHUP, then EOF/EIO on input) ends the client at
# once; it used to spin at half a core.
carol_pid=$(pgrep -P "$(tm display -p -t carol '#{pane_pid}')" -x chat-tui)
tm kill-session -t carol
closed_ms=$(date +%s%3N)
# Gone, or a zombie (it has exited; its parent shell died with the terminal, so who
# reaps it and when is not up to it).
running() { [[ -e /proc/$1 && $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) != Z ]]; }
while running "$carol_pid"; do
    (($(date +%s%3N) - closed_ms < 1000)) || { echo "chat-tui still running 1 s after its terminal closed" >&2; exit 1; }
    sleep 0.02
done
echo "ok: chat-tui ended $(($(date +%s%3N) - closed_ms)) ms after its terminal closed"
users=(alice bob)

# Quitting signs out, also on a closed terminal: no session is left on the server to be
# queued every event.
sessions=$(python3 - "$work/data/chat.db" <<'PY'
import sqlite3, sys
print(sqlite3.connect(sys.argv[1]).execute("select count(*) from sessions").fetchone()[0])
PY
)
[[ $sessions -eq 0 ]] || { echo "$sessions sessions left on the server after every client quit" >&2; exit 1; }
echo "ok: quitting left no session behind"
echo "e2e: all good"
