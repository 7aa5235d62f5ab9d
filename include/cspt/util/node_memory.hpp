// How much memory this node (or this job's cgroup) lets the process use.
#pragma once

namespace cspt {

/// Bytes available to new allocations on this node: MemAvailable from /proc/meminfo, lowered to
/// what the process's cgroup (Slurm's job limit) still allows when it sets a limit. 0 if unknown.
double node_available_memory_bytes();

/// Peak resident set size of this process so far (VmHWM), bytes; 0 if unknown.
double peak_resident_bytes();

}  // namespace cspt
