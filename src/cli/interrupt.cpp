#include "cli/interrupt.hpp"

#include <csignal>

namespace sievesim::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void note_signal(int signal) {
  g_signal = signal;
}

}  // namespace

void install_stop_handlers() {
  struct sigaction sa {};
  sa.sa_handler = note_signal;
  sigemptyset(&sa.sa_mask);
  // Restart interrupted system calls: MPI and HDF5 are not written to see EINTR.
  sa.sa_flags = SA_RESTART;
  for (const int signal : {SIGTERM, SIGINT}) {
    // A signal ignored when we started stays ignored: a shell runs its background jobs with
    // SIGINT ignored so that a Ctrl-C meant for the foreground does not stop them (nohup too).
    struct sigaction was {};
    sigaction(signal, nullptr, &was);
    if (was.sa_handler != SIG_IGN) sigaction(signal, &sa, nullptr);
  }
}

int stop_signal(MPI_Comm comm) {
  int mine = g_signal, any = 0;
  MPI_Allreduce(&mine, &any, 1, MPI_INT, MPI_MAX, comm);
  return any;
}

const char* signal_name(int signal) {
  return signal == SIGTERM ? "SIGTERM" : signal == SIGINT ? "SIGINT" : "a signal";
}

}  // namespace sievesim::cli
