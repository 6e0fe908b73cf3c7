#pragma once
// SIGTERM and SIGINT (a Slurm time limit, scancel, Ctrl-C; mpirun and srun pass them on to every
// rank) ask a run to stop. The handler only notes the signal; the ranks then agree on it in a
// collective at the end of every iteration, so all of them abandon the same point at the same
// iteration and none is left waiting in a collective the others have quit.
#include <mpi.h>

namespace sievesim::cli {

void install_stop_handlers();

// Collective over `comm`: the signal some rank has received (the largest number), 0 if none.
int stop_signal(MPI_Comm comm);

// Thrown on every rank at once (after stop_signal said so) to abandon the point in progress.
struct Stopped {
  int signal;
};

const char* signal_name(int signal);

}  // namespace sievesim::cli
