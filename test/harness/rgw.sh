#!/usr/bin/env bash
# rgw.sh: start and stop a real Ceph RGW (S3 server) on 127.0.0.1 for tests.
#
# It uses the Debian 12 packages ceph-mon, ceph-osd, radosgw and ceph-common
# (Ceph 16.2 Pacific): one monitor, one OSD on memstore (RAM only, no disk
# device), no mgr, no cephx auth, pool size 1, and the radosgw "beast"
# frontend. Every daemon binds 127.0.0.1 only. The recipe and its gotchas are
# in shared/reference/peers.md, section "3. Ceph RGW: the real S3 server".
#
# Usage:
#   test/harness/rgw.sh start DIR    bring up mon, osd and radosgw in DIR (created
#                                    if missing; it should be fresh), create an S3
#                                    user and a bucket, write DIR/env and print
#                                    it to stdout, so a caller can do
#                                      eval "$(test/harness/rgw.sh start "$DIR")"
#   test/harness/rgw.sh stop DIR     stop the daemons recorded in DIR/pids (rgw,
#                                    osd, mon, in that order). Idempotent. DIR is
#                                    left in place: the caller removes it.
#   test/harness/rgw.sh status DIR   print each recorded daemon and whether it is
#                                    alive; exit 0 only if all are alive.
#
# DIR/env sets CS_TEST_S3_ENDPOINT, CS_TEST_S3_BUCKET, CS_TEST_S3_REGION,
# CS_TEST_S3_ACCESS_KEY_ID, CS_TEST_S3_SECRET_ACCESS_KEY and
# CS_TEST_S3_ETAG_QUOTING (RGW 16.2 honours If-Match only with an unquoted ETag).
#
# Environment:
#   RGW_BUCKET         bucket to create (default cardinalsin-test; 3-63 chars,
#                      lower-case letters, digits, '.' and '-')
#   RGW_START_TIMEOUT  overall deadline for start, in seconds (default 120)
#   RGW_FAST=1         also set paxos_propose_interval = 0.1 (Ceph's default is
#                      1 s, and every mon command and pool creation waits for
#                      it): start then takes about 4 s instead of about 19 s.
#                      Not in the peers.md recipe, hence opt-in.
#
# Layout of DIR: ceph.conf, env, pids ("name pid" per line), log/ (the daemons'
# stdout/stderr as *.out and Ceph's own *.log files), run/ (admin sockets),
# mon.a/, osd.0/, rgw/.
#
# Ports: start picks a random block of 48 consecutive ports outside the
# kernel's ephemeral range and checks that every port in it can be bound on
# 127.0.0.1, so that concurrent instances do not collide: block+0 mon v2,
# block+1 mon v1, block+2 rgw, block+8..block+47 the messenger bind range of
# the OSD.
#
# Processes are stopped only by the PIDs recorded in DIR/pids, and only when
# the process's command line still names DIR/ceph.conf (guards against PID
# reuse); never by name.
#
# Signing with curl: curl 7.88's --aws-sigv4 does not send
# x-amz-content-sha256, and RGW then rejects every signed request with 403
# SignatureDoesNotMatch. Add -H "x-amz-content-sha256: <hex SHA-256 of the
# body>" (or UNSIGNED-PAYLOAD) and curl signs it along.
#
# Requirements: bash, python3 (port check), curl >= 7.75 (--aws-sigv4),
# coreutils (timeout, od), uuidgen, and the Ceph binaries monmaptool, ceph-mon,
# ceph-osd, radosgw, radosgw-admin, ceph.

set -euo pipefail

readonly PROG=rgw.sh
readonly REGION=us-east-1
readonly BLOCK=48

# Do not let the caller's Ceph settings leak into ours.
unset CEPH_ARGS CEPH_CONF

log() { printf '%s: %s\n' "$PROG" "$*" >&2; }

usage() {
  cat >&2 <<EOF
usage: $0 start DIR | stop DIR | status DIR
  start   bring up mon, osd and radosgw in DIR, create a user and a bucket,
          write DIR/env and print it to stdout
  stop    stop the daemons recorded in DIR/pids (idempotent)
  status  report whether the recorded daemons are alive
EOF
  exit 2
}

# ---------------------------------------------------------------------------
# Process helpers (shared by start, stop and status)
# ---------------------------------------------------------------------------

# is_alive PID: the process exists and is not a zombie.
is_alive() {
  local pid=$1 stat
  [[ -r /proc/$pid/stat ]] || return 1
  stat=$(<"/proc/$pid/stat") 2>/dev/null || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# is_ours PID: the process's command line names our ceph.conf.
is_ours() {
  local pid=$1 cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *" $CONF "* || $cmdline == *" $CONF" ]]
}

# pid_of NAME: the recorded PID of NAME, or nothing.
pid_of() {
  local name=$1 n p
  [[ -f $PIDS ]] || return 0
  while read -r n p; do
    if [[ $n == "$name" ]]; then
      printf '%s\n' "$p"
      return 0
    fi
  done <"$PIDS"
}

# stop_one NAME: TERM the recorded process, wait up to 15 s, then KILL.
stop_one() {
  local name=$1 pid i
  pid=$(pid_of "$name")
  [[ -n $pid ]] || return 0
  if ! is_alive "$pid"; then
    log "$name: not running (pid $pid)"
    return 0
  fi
  if ! is_ours "$pid"; then
    log "$name: pid $pid is alive but is not ours (pid reused?); leaving it alone"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 150; i++)); do
    is_alive "$pid" || break
    sleep 0.1
  done
  if is_alive "$pid"; then
    log "$name: pid $pid still alive 15 s after SIGTERM; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      is_alive "$pid" || break
      sleep 0.1
    done
  fi
  # Reap it if it is our own child (only during a failed start).
  wait "$pid" 2>/dev/null || true
  if is_alive "$pid"; then
    log "$name: pid $pid did not exit"
    return 1
  fi
  log "$name: stopped (pid $pid)"
}

stop_all() {
  local rc=0 name
  for name in rgw osd mon; do
    stop_one "$name" || rc=1
  done
  return "$rc"
}

# ---------------------------------------------------------------------------
# start
# ---------------------------------------------------------------------------

STARTING=0

on_exit() {
  local rc=$?
  if ((STARTING)); then
    log "start did not complete (exit $rc); stopping what was started"
    stop_all || true
  fi
  exit "$rc"
}

# show_log FILE...: print the tail of each existing file to stderr.
show_log() {
  local f
  for f in "$@"; do
    if [[ -s $f ]]; then
      printf '%s: ---- last lines of %s ----\n' "$PROG" "$f" >&2
      tail -n 30 "$f" >&2 || true
      # An S3 error body has no final newline.
      [[ -z $(tail -c 1 "$f") ]] || printf '\n' >&2
    fi
  done
}

# fail STEP MESSAGE [LOG...]: report, show the logs, stop everything, exit 1.
fail() {
  local step=$1 msg=$2
  shift 2
  if ((SECONDS >= DEADLINE)); then
    msg+=" (the ${TIMEOUT}s deadline has passed)"
  fi
  log "start FAILED at step '$step': $msg"
  show_log "$@"
  exit 1 # the EXIT trap stops whatever was started
}

# remaining: seconds left before the deadline, at least 1 (timeout 0 would
# mean "no limit").
remaining() {
  local t=$((DEADLINE - SECONDS))
  ((t < 1)) && t=1
  echo "$t"
}

check_deadline() {
  local step=$1
  shift
  if ((SECONDS >= DEADLINE)); then
    fail "$step" "deadline of ${TIMEOUT}s exceeded" "$@"
  fi
}

# check_running STEP NAME LOG...: fail if the recorded daemon NAME has died.
check_running() {
  local step=$1 name=$2 pid
  shift 2
  pid=$(pid_of "$name")
  if [[ -z $pid ]] || ! is_alive "$pid"; then
    fail "$step" "$name (pid ${pid:-?}) exited" "$@"
  fi
}

# ceph_cli ARGS...: run the ceph CLI against our cluster with a time limit.
# stdout is passed through; stderr goes to log/ceph-cli.out.
ceph_cli() {
  local t
  t=$(remaining)
  ((t > 30)) && t=30
  timeout "$t" ceph -c "$CONF" --connect-timeout "$t" "$@" 2>>"$LOG/ceph-cli.out"
}

# spawn NAME CMD...: start CMD in the background, record "NAME PID".
spawn() {
  local name=$1
  shift
  "$@" </dev/null >"$LOG/$name.out" 2>&1 &
  printf '%s %s\n' "$name" "$!" >>"$PIDS"
  log "$name: started (pid $!)"
}

# pick_ports: print a base port such that base..base+BLOCK-1 all bind.
pick_ports() {
  python3 - "$BLOCK" <<'PY'
import random, socket, sys

block = int(sys.argv[1])
try:
    with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
        eph_lo, eph_hi = (int(x) for x in f.read().split())
except OSError:
    eph_lo, eph_hi = 32768, 60999

# Candidate ranges in 20000-60000 that avoid the ephemeral range, so that
# outgoing connections cannot take our ports between the check and the bind.
ranges = []
if eph_lo - 20000 >= block * 8:
    ranges.append((20000, min(eph_lo, 60000) - block))
if 60000 - (eph_hi + 1) >= block * 8:
    ranges.append((max(eph_hi + 1, 20000), 60000 - block))
if not ranges:
    ranges.append((20000, 60000 - block))

def free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()

rng = random.SystemRandom()
for _ in range(200):
    lo, hi = rng.choice(ranges)
    base = rng.randrange(lo, hi + 1)
    if all(free(p) for p in range(base, base + block)):
        print(base)
        sys.exit(0)
sys.exit("no free block of %d ports found" % block)
PY
}

# randhex NBYTES: NBYTES random bytes as lower-case hex.
randhex() { od -An -tx1 -N"$1" /dev/urandom | tr -d ' \n'; }

# SHA-256 of the empty string. curl 7.88's --aws-sigv4 does not send
# x-amz-content-sha256, and RGW then answers 403 SignatureDoesNotMatch to every
# signed request, so we send it ourselves (and curl signs it).
readonly EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# s3 METHOD PATH [CURL-ARGS...]: signed request without a body; prints the
# HTTP status (000 if there was no answer).
s3() {
  local method=$1 path=$2
  shift 2
  curl -sS -o "$LOG/s3-last-response.out" -w '%{http_code}' --max-time 10 \
    --aws-sigv4 "aws:amz:$REGION:s3" --user "$AK:$SK" \
    -H "x-amz-content-sha256: $EMPTY_SHA256" \
    -X "$method" "$@" "$ENDPOINT/$path" 2>>"$LOG/s3-curl.out" || true
}

cmd_start() {
  local bucket=${RGW_BUCKET:-cardinalsin-test}
  TIMEOUT=${RGW_START_TIMEOUT:-120}
  [[ $TIMEOUT =~ ^[0-9]+$ ]] || {
    log "RGW_START_TIMEOUT must be a number of seconds"
    exit 2
  }
  if ((${#bucket} < 3 || ${#bucket} > 63)) ||
    [[ ! $bucket =~ ^[a-z0-9][a-z0-9.-]*[a-z0-9]$ ]]; then
    log "invalid bucket name '$bucket': RGW needs 3-63 characters of [a-z0-9.-]," \
      "starting and ending with a letter or digit"
    exit 2
  fi
  local tool
  for tool in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph python3 curl timeout od uuidgen; do
    command -v "$tool" >/dev/null || {
      log "required command '$tool' not found (apt-get install ceph-mon ceph-osd radosgw ceph-common)"
      exit 2
    }
  done
  if [[ -f $PIDS ]]; then
    local n p
    while read -r n p; do
      if [[ -n $p ]] && is_alive "$p" && is_ours "$p"; then
        log "$DIR already has a running $n (pid $p); stop it first or use a fresh directory"
        exit 2
      fi
    done <"$PIDS"
  fi

  DEADLINE=$((SECONDS + TIMEOUT))
  STARTING=1
  trap on_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  mkdir -p "$LOG" "$DIR/run" "$DIR/crash" "$DIR/mon.a" "$DIR/osd.0" "$DIR/rgw"
  : >"$PIDS"
  rm -f "$DIR/env"

  # --- ports -----------------------------------------------------------------
  local base
  base=$(pick_ports) || fail ports "could not find free ports on 127.0.0.1"
  local mon_v2=$base mon_v1=$((base + 1)) rgw_port=$((base + 2))
  local bind_lo=$((base + 8)) bind_hi=$((base + BLOCK - 1))
  ENDPOINT=http://127.0.0.1:$rgw_port
  log "ports: mon v2 $mon_v2, mon v1 $mon_v1, rgw $rgw_port, bind range $bind_lo-$bind_hi"

  # --- ceph.conf -------------------------------------------------------------
  local fsid fast_conf=
  fsid=$(uuidgen)
  if [[ ${RGW_FAST:-0} == 1 ]]; then
    fast_conf=$'# RGW_FAST=1: commit mon updates every 0.1 s instead of every 1 s.\npaxos_propose_interval = 0.1'
  fi
  cat >"$CONF" <<EOF
# Generated by test/harness/rgw.sh: a throw-away single-node Ceph for tests.
[global]
fsid = $fsid
mon_host = [v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
public_network = 127.0.0.1/32
ms_bind_ipv6 = false
ms_bind_port_min = $bind_lo
ms_bind_port_max = $bind_hi
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
# radosgw's built-in defaults force "secure"; with auth off it then loops on
# "get_initial_auth_request returned -13". crc must be allowed.
ms_mon_client_mode = crc secure
osd_objectstore = memstore
memstore_device_bytes = 2147483648
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
$fast_conf
run_dir = $DIR/run
admin_socket = $DIR/run/\$name.asok
pid_file = $DIR/run/\$name.pid
log_file = $DIR/log/\$name.log
crash_dir = $DIR/crash
mon_data = $DIR/mon.\$id
osd_data = $DIR/osd.\$id

[client.rgw.test]
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw_data = $DIR/rgw
EOF

  # --- mon ---------------------------------------------------------------------
  cd "$DIR"
  monmaptool --create --fsid "$fsid" \
    --addv a "[v2:127.0.0.1:$mon_v2,v1:127.0.0.1:$mon_v1]" \
    --enable-all-features --set-min-mon-release pacific "$DIR/monmap" \
    >"$LOG/monmaptool.out" 2>&1 ||
    fail monmaptool "monmaptool --create failed" "$LOG/monmaptool.out"
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" \
    >"$LOG/mon-mkfs.out" 2>&1 ||
    fail mon-mkfs "ceph-mon --mkfs failed" "$LOG/mon-mkfs.out" "$LOG/mon.a.log"
  spawn mon ceph-mon -c "$CONF" -i a -f

  local mon_logs=("$LOG/mon.out" "$LOG/mon.a.log" "$LOG/ceph-cli.out")
  until ceph_cli mon stat >>"$LOG/ceph-cli.out"; do
    check_running mon-ready mon "${mon_logs[@]}"
    check_deadline mon-ready "${mon_logs[@]}"
    sleep 0.2
  done
  log "mon: ready after ${SECONDS}s"

  # Without this memstore leaves the cluster in HEALTH_ERR
  # "full ratio(s) out of order".
  local ratio
  for ratio in nearfull:0.95 backfillfull:0.97 full:0.99; do
    ceph_cli osd "set-${ratio%%:*}-ratio" "${ratio#*:}" >>"$LOG/ceph-cli.out" ||
      fail full-ratios "ceph osd set-${ratio%%:*}-ratio failed" "${mon_logs[@]}"
  done

  # --- osd ---------------------------------------------------------------------
  local osd_id
  osd_id=$(ceph_cli osd create) ||
    fail osd-create "ceph osd create failed" "${mon_logs[@]}"
  [[ $osd_id == 0 ]] ||
    fail osd-create "ceph osd create returned '$osd_id', expected 0" "${mon_logs[@]}"
  local osd_logs=("$LOG/osd.out" "$LOG/osd.0.log" "$LOG/ceph-cli.out")
  timeout "$(remaining)" ceph-osd -c "$CONF" -i 0 --mkfs >"$LOG/osd-mkfs.out" 2>&1 ||
    fail osd-mkfs "ceph-osd --mkfs failed" "$LOG/osd-mkfs.out" "$LOG/osd.0.log"
  spawn osd ceph-osd -c "$CONF" -i 0 -f

  local stat=
  while :; do
    stat=$(ceph_cli osd stat) || stat=
    [[ $stat =~ (^|[^0-9])1\ up ]] && break
    check_running osd-up osd "${osd_logs[@]}"
    check_deadline osd-up "${osd_logs[@]}"
    sleep 0.3
  done
  log "osd: up after ${SECONDS}s"

  # --- radosgw -----------------------------------------------------------------
  local rgw_logs=("$LOG/rgw.out" "$LOG/client.rgw.test.log")
  spawn rgw radosgw -c "$CONF" -n client.rgw.test -f
  local code=
  while :; do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ENDPOINT/" 2>/dev/null) || code=
    [[ $code == 200 ]] && break
    check_running rgw-ready rgw "${rgw_logs[@]}"
    check_deadline rgw-ready "${rgw_logs[@]}"
    sleep 0.3
  done
  log "rgw: answering on $ENDPOINT after ${SECONDS}s"

  # --- S3 user -----------------------------------------------------------------
  AK=CSTEST$(randhex 7)
  AK=${AK^^}
  SK=$(randhex 20)
  timeout "$(remaining)" radosgw-admin -c "$CONF" user create --uid=test --display-name=test \
    --access-key="$AK" --secret-key="$SK" >"$LOG/radosgw-admin.out" 2>&1 ||
    fail user-create "radosgw-admin user create failed" "$LOG/radosgw-admin.out" \
      "$LOG/client.admin.log"

  # --- bucket ------------------------------------------------------------------
  local s3_logs=("$LOG/s3-last-response.out" "$LOG/s3-curl.out" "${rgw_logs[@]}")
  # A few retries cover a transient error (no answer, 5xx, a user not yet
  # visible); a persistent one such as SignatureDoesNotMatch fails fast.
  local attempt
  for ((attempt = 1; ; attempt++)); do
    code=$(s3 PUT "$bucket")
    # 409 BucketAlreadyExists can follow a retried PUT that did succeed.
    [[ $code == 200 || $code == 409 ]] && break
    check_running create-bucket rgw "${s3_logs[@]}"
    check_deadline create-bucket "${s3_logs[@]}"
    ((attempt < 10)) ||
      fail create-bucket "signed PUT /$bucket returned HTTP ${code:-none} $attempt times" "${s3_logs[@]}"
    log "create bucket: HTTP ${code:-none}, retrying"
    sleep 0.5
  done
  code=$(s3 HEAD "$bucket" -I)
  [[ $code == 200 ]] ||
    fail verify-bucket "signed HEAD /$bucket returned HTTP ${code:-none}, expected 200" "${s3_logs[@]}"
  log "bucket $bucket: created and verified"

  # --- env ---------------------------------------------------------------------
  cat >"$DIR/env" <<EOF
export CS_TEST_S3_ENDPOINT=$ENDPOINT
export CS_TEST_S3_BUCKET=$bucket
export CS_TEST_S3_REGION=$REGION
export CS_TEST_S3_ACCESS_KEY_ID=$AK
export CS_TEST_S3_SECRET_ACCESS_KEY=$SK
export CS_TEST_S3_ETAG_QUOTING=unquoted
EOF
  STARTING=0
  trap - EXIT INT TERM
  log "ready in ${SECONDS}s (stop with: $0 stop $DIR)"
  cat "$DIR/env"
}

# ---------------------------------------------------------------------------
# stop / status
# ---------------------------------------------------------------------------

cmd_stop() {
  if [[ ! -f $PIDS ]]; then
    log "no $PIDS; nothing to stop"
    return 0
  fi
  stop_all
}

cmd_status() {
  if [[ ! -f $PIDS ]]; then
    log "no $PIDS; nothing was started in $DIR"
    return 1
  fi
  local rc=0 n p state
  while read -r n p; do
    [[ -n $n ]] || continue
    if [[ -n $p ]] && is_alive "$p"; then
      if is_ours "$p"; then
        state=alive
      else
        state="dead (pid reused by another process)"
        rc=1
      fi
    else
      state=dead
      rc=1
    fi
    printf '%s %s %s\n' "$n" "$p" "$state"
  done <"$PIDS"
  return "$rc"
}

# ---------------------------------------------------------------------------

(($# == 2)) || usage
ACTION=$1
DIR=$2
[[ -n $DIR ]] || usage
case $ACTION in
start) mkdir -p "$DIR" ;;
stop | status)
  if [[ ! -d $DIR ]]; then
    log "$DIR does not exist"
    [[ $ACTION == stop ]] && exit 0
    exit 1
  fi
  ;;
*) usage ;;
esac
DIR=$(cd "$DIR" && pwd -P)
if [[ $DIR =~ [[:space:]] ]]; then
  log "DIR must not contain white space (it goes into ceph.conf): '$DIR'"
  exit 2
fi
readonly DIR
readonly CONF=$DIR/ceph.conf
readonly PIDS=$DIR/pids
readonly LOG=$DIR/log

case $ACTION in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
*) usage ;;
esac
