#!/bin/bash
# A private single-node Slurm cluster for tests: munged, slurmctld and slurmd of Debian's slurm-wlm,
# with every file (key, conf, state, spool, logs, sockets, pid files) inside one folder.
#
#   tests/slurm/cluster.sh start DIR    start it (DIR is created; refused if it already runs there),
#                                       wait until the node is idle, print `export SLURM_CONF=...`;
#                                       the queue starts empty, also when DIR held a cluster before
#   tests/slurm/cluster.sh stop DIR     cancel its jobs, stop its daemons by pid (and any job
#                                       process left behind), keep DIR and its logs
#   tests/slurm/cluster.sh status DIR   exit 0 if its daemons run
#
# After start, `source DIR/env.sh` (or eval the printed line) points sbatch, srun, squeue, scontrol
# and sinfo at this cluster. Nothing outside DIR is touched: munged gets its own key and socket, the
# daemons listen on free non-default ports on 127.0.0.1, so a system munge or Slurm is not disturbed.
# Runs as root (slurmd must), without systemd and without cgroups (proctrack/linuxproc, task/none).
# Environment: CLUSTER_START_TIMEOUT (s, default 60), CLUSTER_DEBUG (slurm log level, default info),
# CLUSTER_CRED_EXPIRE (s, default 20: also the wait of a requeued job before it starts again).
set -euo pipefail

die() { echo "cluster.sh: $*" >&2; exit 1; }
[ $# -eq 2 ] || die "usage: cluster.sh start|stop|status DIR"
cmd=$1
dir=$2
[ "$(id -u)" -eq 0 ] || die "must run as root (slurmd and the test jobs run as root)"
for prog in munged mungekey slurmctld slurmd sinfo scontrol; do
  command -v "$prog" > /dev/null || die "$prog not found: apt-get install slurm-wlm munge"
done

# running NAME: the pid in DIR/run/NAME.pid if that process is alive and is NAME
running() {
  local f=$dir/run/$1.pid pid
  pid=$(cat "$f" 2> /dev/null) || return 1
  [ -n "$pid" ] && [ -d "/proc/$pid" ] || return 1
  grep -q "$1" "/proc/$pid/comm" 2> /dev/null || return 1
  # a zombie counts as stopped
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2> /dev/null)" != Z ] || return 1
  echo "$pid"
}

# stop_daemon NAME: SIGTERM by pid, wait up to 15 s, then SIGKILL
stop_daemon() {
  local pid _
  pid=$(running "$1") || return 0
  kill -TERM "$pid" 2> /dev/null || true
  for _ in $(seq 150); do running "$1" > /dev/null || { rm -f "$dir/run/$1.pid"; return 0; }; sleep 0.1; done
  echo "cluster.sh: $1 (pid $pid) ignored SIGTERM, killing it" >&2
  kill -KILL "$pid" 2> /dev/null || true
  rm -f "$dir/run/$1.pid"
}

dump_logs() {
  local f
  for f in "$dir"/log/*.log; do
    [ -f "$f" ] || continue
    echo "----- $f (last 60 lines)" >&2
    tail -n 60 "$f" >&2
  done
}

# free_ports N: N free TCP ports on 127.0.0.1 (asked of the kernel, not the Slurm defaults 6817/6818)
free_ports() {
  /usr/bin/python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

start() {
  local host cpus mem sockets cores threads ctld_port d_port t0 state
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  for d in munged slurmctld slurmd; do
    if running "$d" > /dev/null; then die "$d already runs for $dir (pid $(running "$d")): stop it first"; fi
  done
  # munged wants every folder on the socket's path searchable by all, and the key private to its owner
  chmod 755 "$dir"
  mkdir -p "$dir/run" "$dir/log" "$dir/munge" "$dir/state" "$dir/spool" "$dir/tmp"
  chmod 755 "$dir/run" "$dir/log"
  chmod 1777 "$dir/tmp"
  chmod 700 "$dir/munge" "$dir/state" "$dir/spool"
  [ -s "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"

  host=$(hostname -s)
  # the node as slurmd itself sees it, so that slurmd does not drain it for a mismatch
  local probe
  probe=$(slurmd -C 2> /dev/null | head -1 || true)
  cpus=$(sed -n 's/.* CPUs=\([0-9]*\).*/\1/p' <<< "$probe")
  sockets=$(sed -n 's/.* SocketsPerBoard=\([0-9]*\).*/\1/p' <<< "$probe")
  cores=$(sed -n 's/.* CoresPerSocket=\([0-9]*\).*/\1/p' <<< "$probe")
  threads=$(sed -n 's/.* ThreadsPerCore=\([0-9]*\).*/\1/p' <<< "$probe")
  mem=$(sed -n 's/.* RealMemory=\([0-9]*\).*/\1/p' <<< "$probe")
  [ -n "$cpus" ] || cpus=$(nproc)
  [ -n "$mem" ] || mem=$(awk '/MemTotal/ {print int($2 / 1024)}' /proc/meminfo)
  local topo=""
  [ -n "$sockets" ] && [ -n "$cores" ] && [ -n "$threads" ] &&
    topo="Sockets=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads"
  read -r ctld_port d_port < <(free_ports 2)

  cat > "$dir/slurm.conf" <<EOF
# Private single-node test cluster written by tests/slurm/cluster.sh: every path is inside $dir.
ClusterName=cspttest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s)
AuthInfo=socket=$dir/run/munge.socket,cred_expire=${CLUSTER_CRED_EXPIRE:-20}
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
# the node's scratch space; also where Slurm's PMIx plugin puts its per-step folders
TmpFS=$dir/tmp
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=${CLUSTER_DEBUG:-info}
SlurmdDebug=${CLUSTER_DEBUG:-info}
# no systemd, no cgroups in a container
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
# CPUs are the consumable: a 2-task job takes 2 CPUs, no oversubscription
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# schedule every few seconds (default 60): a requeued or dependent job starts soon after it may
SchedulerParameters=sched_interval=5,bf_interval=5
MpiDefault=none
SwitchType=switch/none
# no slurmdbd: sacct has nothing; finished jobs stay in scontrol for MinJobAge s and are
# written to the job-completion log
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
MinJobAge=3600
# short timeouts: a test never waits long for a dead daemon or a slow kill
KillWait=5
SlurmctldTimeout=30
SlurmdTimeout=30
MessageTimeout=10
InactiveLimit=0
Waittime=0
ReturnToService=2
MailProg=/bin/true
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus $topo RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
EOF
  echo "export SLURM_CONF=$dir/slurm.conf" > "$dir/env.sh"
  export SLURM_CONF=$dir/slurm.conf

  t0=$(date +%s.%N)
  munged --key-file="$dir/munge/munge.key" --socket="$dir/run/munge.socket" \
    --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed" ||
    { dump_logs; die "munged did not start"; }
  # daemons detach themselves; setsid keeps them out of the caller's process group and terminal
  # -c: always an empty queue; jobs of an earlier start in DIR are gone with their processes
  setsid slurmctld -c -f "$dir/slurm.conf" < /dev/null > "$dir/log/slurmctld.out" 2>&1 ||
    { dump_logs; stop_all; die "slurmctld did not start"; }
  setsid slurmd -c -f "$dir/slurm.conf" -N "$host" < /dev/null > "$dir/log/slurmd.out" 2>&1 ||
    { dump_logs; stop_all; die "slurmd did not start"; }

  local timeout=${CLUSTER_START_TIMEOUT:-60}
  # idle, and registered by this slurmd (a restarted slurmctld first shows the state it saved)
  local started_s node since
  started_s=${t0%.*}
  for _ in $(seq $((timeout * 5))); do
    state=$(sinfo -h -N -n "$host" -o '%t' 2> /dev/null | head -1 || true)
    if [ "$state" = idle ]; then
      node=$(scontrol -o show node "$host" 2> /dev/null || true)
      since=$(sed -n 's/.*SlurmdStartTime=\([^ ]*\).*/\1/p' <<< "$node")
      since=$(date -d "$since" +%s 2> /dev/null || echo 0)
      [ "$since" -ge "$started_s" ] && break
      state="idle, slurmd not registered yet"
    fi
    sleep 0.2
  done
  if [ "$state" != idle ] || [ "$since" -lt "$started_s" ]; then
    echo "cluster.sh: node $host not idle after ${timeout} s (state '${state:-no answer}')" >&2
    scontrol show node "$host" >&2 2> /dev/null || true
    dump_logs
    stop_all
    exit 1
  fi
  echo "cluster.sh: $host idle (${cpus} CPUs, ${mem} MB, ports $ctld_port/$d_port) in" \
    "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN {printf "%.1f", b - a}') s; conf $dir/slurm.conf" >&2
  echo "export SLURM_CONF=$dir/slurm.conf"
}

stop_all() {
  stop_daemon slurmd
  stop_daemon slurmctld
  stop_daemon munged
}

# slurmstepd processes outlive slurmd by design; ours are the ones holding a file inside DIR open
stray_stepds() {
  local p f
  for p in /proc/[0-9]*; do
    grep -qx 'slurmstepd' "$p/comm" 2> /dev/null || continue
    for f in "$p"/fd/*; do
      case $(readlink "$f" 2> /dev/null) in "$dir"/*) echo "${p#/proc/}"; break ;; esac
    done
  done
}

# descendants PID...: every process below these (children first found, then theirs)
descendants() {
  local table queue=("$@") p c
  table=$(ps -e -o pid= -o ppid=)
  while [ ${#queue[@]} -gt 0 ]; do
    p=${queue[0]}
    queue=("${queue[@]:1}")
    for c in $(awk -v p="$p" '$2 == p {print $1}' <<< "$table"); do
      echo "$c"
      queue+=("$c")
    done
  done
}

stop() {
  [ -d "$dir" ] || die "no folder $dir"
  dir=$(cd "$dir" && pwd)
  export SLURM_CONF=$dir/slurm.conf
  local _ pids
  if running slurmctld > /dev/null; then
    scancel --full --signal=KILL --user=root 2> /dev/null || true
    scancel --user=root 2> /dev/null || true
    # let slurmd finish the kills (KillWait) before it goes
    for _ in $(seq 100); do
      [ -z "$(squeue -h -o %i 2> /dev/null)" ] && break
      [ -n "$(squeue -h -t R,CG -o %i 2> /dev/null)" ] || break
      sleep 0.1
    done
  fi
  stop_all
  pids=$(stray_stepds)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086
    pids="$pids $(descendants $pids)"
    echo "cluster.sh: killing leftover job processes" $pids >&2
    # shellcheck disable=SC2086
    kill -KILL $pids 2> /dev/null || true
  fi
  echo "cluster.sh: stopped $dir" >&2
}

status() {
  local d ok=0
  for d in munged slurmctld slurmd; do
    if running "$d" > /dev/null; then echo "$d: running (pid $(running "$d"))"; else echo "$d: stopped"; ok=1; fi
  done
  return $ok
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) [ -d "$dir" ] || die "no folder $dir"; dir=$(cd "$dir" && pwd); status ;;
  *) die "usage: cluster.sh start|stop|status DIR" ;;
esac
