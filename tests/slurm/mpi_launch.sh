#!/bin/bash
# The private Slurm cluster runs MPI the two ways the templates can (LAUNCHER=srun|mpirun): a 2-task
# batch job runs `srun hostname`, `mpirun hostname`, and a small MPI program (an allreduce) under
# `srun --mpi=pmix` and under `mpirun`; every launch reaches both ranks, and the job ends COMPLETED.
# Also records what does not work with Debian's Open MPI: srun with --mpi=pmi2 or without --mpi.
# Needs no cspt (CSPT may be unset).
CSPT=${CSPT:-unused}
source "$(dirname "$0")/lib.sh"
cd "$WORK" || exit 1

cat > hello.c <<'C'
#include <mpi.h>
#include <stdio.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  int rank, size, one = 1, sum = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  MPI_Allreduce(&one, &sum, 1, MPI_INT, MPI_SUM, MPI_COMM_WORLD);
  printf("rank %d/%d sum %d\n", rank, size, sum);
  MPI_Finalize();
  return 0;
}
C
mpicc -O1 -o hello hello.c || { fail "mpicc hello.c"; finish; }

cat > job.sh <<'SH'
#!/bin/bash
#SBATCH --ntasks=2
#SBATCH --time=5
#SBATCH --output=job.log
for step in "srun hostname" "mpirun hostname" "mpirun ./hello" "srun --mpi=pmix ./hello" "srun --mpi=pmi2 ./hello" "srun ./hello"; do
  echo "== $step"
  $step > out.txt 2>&1; rc=$?
  sed 's/^/   /' out.txt
  echo "== $step: exit $rc"
done
SH
jid=$(sbatch --parsable job.sh)
state=$(wait_job "$jid" 180) || true
[ "$state" = COMPLETED ] && pass "job $jid COMPLETED" || { show_job "$jid" job.log; fail "job $jid: $state"; finish; }

# section STEP: the output lines of one launch
section() { awk -v s="== $1" '$0 == s {on = 1; next} /^== / {on = 0} on' job.log; }
exit_of() { awk -v p="== $1: exit " 'index($0, p) == 1 {print substr($0, length(p) + 1)}' job.log; }
host=$(hostname)
for step in "srun hostname" "mpirun hostname"; do
  n=$(section "$step" | grep -cx "   $host")
  [ "$(exit_of "$step")" = 0 ] && [ "$n" = 2 ] && pass "$step: 2 tasks on $host" || { cat job.log; fail "$step: $n lines '$host', exit $(exit_of "$step")"; }
done
for step in "mpirun ./hello" "srun --mpi=pmix ./hello"; do
  out=$(section "$step")
  if [ "$(exit_of "$step")" = 0 ] && grep -q 'rank 0/2 sum 2' <<< "$out" && grep -q 'rank 1/2 sum 2' <<< "$out"; then
    pass "$step: ranks 0 and 1 of 2, allreduce 2"
  else
    echo "$out"; fail "$step: exit $(exit_of "$step")"
  fi
done
for step in "srun --mpi=pmi2 ./hello" "srun ./hello"; do
  [ "$(exit_of "$step")" != 0 ] && pass "$step fails, as known (Debian's Open MPI has no PMI-2/PMI-1 support)" ||
    echo "note: $step works here: srun without PMIx is usable"
done
finish
