#include <unistd.h>

#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/mpi/collectives.hpp>
#include <boost/mpi/communicator.hpp>
#include <boost/mpi/environment.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/vector.hpp>
#include <chrono>
#include <climits>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <optional>

#include "base/error.hpp"
#include "base/logging.hpp"
#include "cli/commands.hpp"
#include "cli/interrupt.hpp"
#include "cli/progress.hpp"
#include "engine/simulator.hpp"
#include "engine/system.hpp"
#include "io/h5_writer.hpp"
#include "io/point_store.hpp"
#include "io/report.hpp"
#include "mpi/rank_map.hpp"

namespace sievesim::cli {
namespace {

struct RunOpts {
  std::string file, output, log_level = "info";
  std::vector<std::string> params;
  std::int64_t nodes_per_rank = 0;
  std::int64_t seed = -1, iterations = -1;
  bool log_all_ranks = false, quiet = false, output_given = false, resume = false;
  double progress_every_s = 10;
  std::vector<std::string> schedulers;
  std::string baseline;
  std::vector<std::string> sweeps;  // --sweep KEY=V1,V2,..., one per swept key
  std::string command_line;
};

// A file name as a YAML double-quoted scalar, so -o accepts any path.
std::string yaml_quoted(const std::string& s) {
  std::string q = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') q += '\\';
    q += c;
  }
  return q + "\"";
}

struct Planned {
  std::string name;         // group under /runs ("" for a single run)
  std::string sweep_value;  // "" outside a sweep
  Experiment settings;
  std::unique_ptr<System> sys;  // assembled for this rank's nodes
};

std::string utc_now() {
  const std::time_t t = std::time(nullptr);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

// Every rank loaded the experiment itself; if any failed, all stop with exit code 2 and the
// lowest failing rank prints its one line (the same on every rank for configuration errors).
bool all_ranks_agree(const boost::mpi::communicator& world, const std::string& error) {
  const int mine = error.empty() ? INT_MAX : world.rank();
  int first = INT_MAX;
  boost::mpi::all_reduce(world, mine, first, boost::mpi::minimum<int>());
  if (first == INT_MAX) return true;
  if (world.rank() == first) std::fprintf(stderr, "sievesim: error: %s\n", error.c_str());
  return false;
}

// Simulates one point; nothing if a stop signal came first (every rank then returns nothing
// at the same iteration).
std::optional<RunOutput> run_point(Planned& p, std::size_t point, std::size_t points,
                                   const std::string& sweep_key, const RankMap& ranks,
                                   ProgressLine& progress, const boost::mpi::communicator& world) {
  System& e = *p.sys;
  spdlog::info("{} on {} nodes ({} ranks x {} nodes per rank), scheduler {}{}, {} requests",
               e.model.name, e.cfg.nodes, world.size(), ranks.nodes_per_rank(), e.scheduler_name,
               p.sweep_value.empty()                      ? ""
               : sweep_key.find(',') == std::string::npos ? ", " + sweep_key + " = " + p.sweep_value
                                                          : ", " + p.sweep_value,
               e.total_requests);
  if (e.scheduler_name == "oracle" && e.cfg.workload.batching.mode == ServeMode::kDecode &&
      e.total_requests / e.cfg.nodes > 64)
    spdlog::warn(
        "the oracle's exact search grows with the distinct token counts per expert: at "
        "{} requests per GPU one decision can take seconds",
        e.total_requests / e.cfg.nodes);
  Simulator sim(e, ranks, world);
  RunOutput out;
  out.name = p.name;
  out.scheduler = e.scheduler_name;
  out.sweep_value = p.sweep_value;
  out.experiment = &e.cfg;
  const std::string label = p.name.empty() ? e.scheduler_name : p.name;
  progress.start_point(point, points, label);
  try {
    out.results = sim.run([&](const Progress& pr) {
      progress.update(pr);
      if (const int s = stop_signal(world)) throw Stopped{s};
    });
  } catch (const Stopped&) {
    progress.end_point();
    return std::nullopt;
  }
  progress.end_point();
  const Summary& s = out.results.summary;
  if (s.requests_finished < s.requests)
    spdlog::warn("{}: stopped after workload.max_iterations = {} with {} of {} requests finished",
                 label, e.cfg.workload.max_iterations, s.requests_finished, s.requests);
  if (s.records_dispatched != s.records_combined)
    throw SimulationError("token records lost in the exchange");
  return out;
}

int simulate(RunOpts& o, const boost::mpi::communicator& world) {
  setup_logging(world.rank(), o.log_all_ranks, o.quiet ? "warn" : o.log_level);
  install_stop_handlers();

  std::vector<std::string> overrides = o.params;
  if (o.seed >= 0) overrides.push_back("workload.seed=" + std::to_string(o.seed));
  if (o.iterations >= 0)
    overrides.push_back("workload.max_iterations=" + std::to_string(o.iterations));
  if (o.output_given) overrides.push_back("output.path=" + yaml_quoted(o.output));

  // One experiment per (scheduler, sweep point), all loaded and checked before any runs.
  std::vector<Planned> plan;
  std::vector<StoredPoint> stored;
  std::vector<std::string> finished;  // per point, the file holding it finished ("": to run)
  RankMap ranks;
  std::string error, sweep_key;
  try {
    const Experiment base = read_experiment(o.file, overrides);
    std::vector<SweepAxis> axes = base.sweep;
    if (!o.sweeps.empty()) {
      axes.clear();
      for (const auto& text : o.sweeps) axes.push_back(parse_sweep_option(text, "--sweep"));
      check_sweep(axes, "", "--sweep ");
    }
    sweep_key = sweep_keys_text(axes);
    // (No --schedulers: the experiment's own, named by the assembled system.)
    const std::vector<std::string> schedulers =
        o.schedulers.empty() ? std::vector<std::string>{""} : o.schedulers;
    for (const auto& sched : schedulers)
      for (const auto& point : sweep_points(axes)) {
        std::vector<std::string> with = overrides;
        if (!sched.empty()) with.push_back("scheduler.name=" + sched);
        with.insert(with.end(), point.overrides.begin(), point.overrides.end());
        std::string name = sched;
        if (!point.label.empty()) name += (name.empty() ? "" : "@") + point.label;
        plan.push_back(Planned{name, point.value, read_experiment(o.file, with), nullptr});
      }
    for (auto s = o.schedulers.begin(); s != o.schedulers.end(); ++s)
      if (std::find(o.schedulers.begin(), s, *s) != s)
        throw InputError(o.file, "--schedulers", "'" + *s + "' is given twice");
    if (!o.baseline.empty() &&
        std::find(o.schedulers.begin(), o.schedulers.end(), o.baseline) == o.schedulers.end())
      throw InputError(o.file, "--baseline", "'" + o.baseline + "' is not one of --schedulers");
    const Experiment& x = plan.front().settings;
    for (const auto& p : plan)
      if (p.settings.nodes != x.nodes)
        throw InputError(o.file, sweep_key, "a sweep cannot change system.nodes (the rank layout)");
    std::int64_t npr = o.nodes_per_rank;
    const std::string layout = RankMap::validate(x.nodes, world.size(), npr);
    if (!layout.empty()) throw InputError(x.file, "system.nodes", layout);
    ranks = RankMap(x.nodes, world.size(), npr);
    const char* out_key = o.output_given ? "-o" : "output.path";
    for (const std::string& p : {x.output_path, x.output_path + ".partial"}) {
      // Never replace a directory, a device (as root, `-o /dev/null`!), a FIFO or a socket;
      // OUT.h5.partial is the directory of finished points (a file in earlier versions).
      const auto st = std::filesystem::status(p);
      if (std::filesystem::exists(st) && !std::filesystem::is_regular_file(st) &&
          !(p != x.output_path && std::filesystem::is_directory(st)))
        throw InputError(x.file, out_key, "'" + p + "' exists and is not a regular file");
    }
    const auto dir = std::filesystem::absolute(x.output_path).parent_path();
    if (!std::filesystem::is_directory(dir))
      throw InputError(x.file, out_key, "output directory '" + dir.string() + "' does not exist");
    if (access(dir.c_str(), W_OK) != 0)
      throw InputError(x.file, out_key, "output directory '" + dir.string() + "' is not writable");
    // Every point's components built once, for this rank's nodes, before any point runs.
    const NodeRange local{ranks.first_node(world.rank()), ranks.nodes_per_rank()};
    for (auto& p : plan) p.sys = System::assemble(std::move(p.settings), local);
    for (const auto& p : plan)
      stored.push_back(StoredPoint{p.name, p.sys->scheduler_name, p.sys->cfg.resolved_yaml});
    if (world.rank() == 0) {
      const PointStore store(plan.front().sys->cfg.output_path);
      if (o.resume) {
        finished = store.find_finished(stored);
      } else if (const int n = store.start_fresh(); n > 0) {
        spdlog::warn(
            "discarded {} finished point(s) an earlier run left in {} (--resume keeps them)", n,
            store.dir());
      }
    }
  } catch (const InputError& e) {
    error = e.what();
  }
  if (!all_ranks_agree(world, error)) return kExitBadInput;

  if (world.rank() == 0) PointStore(plan.front().sys->cfg.output_path).create_dir();
  boost::mpi::broadcast(world, finished, 0);  // (also: no rank writes before the directory exists)
  finished.resize(plan.size());
  const std::string output_path = plan.front().sys->cfg.output_path;
  const PointStore store(output_path);
  // The merged file's header describes the first point, whose components are gone by then.
  const Experiment header = plan.front().sys->cfg;
  const ModelSpec header_model = plan.front().sys->model;
  const auto t0 = std::chrono::steady_clock::now();
  ProgressLine progress(world.rank() == 0 && !o.quiet, isatty(STDERR_FILENO) != 0,
                        o.progress_every_s);
  RunInfo info;
  info.command_line = o.command_line;
  info.date_utc = world.rank() == 0 ? utc_now() : std::string();
  boost::mpi::broadcast(world, info.date_utc, 0);
  info.ranks = world.size();
  info.nodes_per_rank = ranks.nodes_per_rank();
  info.baseline = !o.baseline.empty()     ? o.baseline
                  : !o.schedulers.empty() ? o.schedulers.front()
                                          : plan.front().sys->scheduler_name;
  info.sweep_key = sweep_key;
  // A sweep or a --schedulers list is recorded under /runs even with a single point, so the
  // file keeps the swept value and the scheduler name (what `report` merges job-array points by).
  const bool multi = plan.size() > 1 || !sweep_key.empty() || !o.schedulers.empty();
  std::int64_t iterations = 0;
  int stopped = 0;
  for (std::size_t point = 0; point < plan.size() && !stopped; ++point) {
    Planned& p = plan[point];
    if (!finished[point].empty()) {
      spdlog::info("{}: finished earlier, kept from {}", p.name.empty() ? "the run" : p.name,
                   finished[point]);
      p.sys.reset();
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    std::optional<RunOutput> out =
        run_point(p, point, plan.size(), sweep_key, ranks, progress, world);
    if (!out) {
      stopped = stop_signal(world);
      break;
    }
    iterations += out->results.summary.iterations;
    const double own_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    double wall = 0;
    boost::mpi::all_reduce(world, own_s, wall, boost::mpi::maximum<double>());
    // The point is durable once its own file has its final name (see io/point_store.hpp).
    finished[point] = store.point_path(p.name);
    ResultFile file(finished[point], p.sys->cfg, p.sys->model, info, multi, world);
    file.add(*out);
    file.commit(wall);
    p.sys.reset();                 // the next point starts from empty memory
    stopped = stop_signal(world);  // (one that came while the point was written)
  }
  if (stopped) {
    const auto kept = std::count_if(finished.begin(), finished.end(),
                                    [](const std::string& f) { return !f.empty(); });
    if (world.rank() == 0)
      std::fprintf(stderr,
                   "sievesim: stopped by %s: %lld of %zu point(s) finished and kept in %s/; "
                   "the same command with --resume runs the rest\n",
                   signal_name(stopped), static_cast<long long>(kept), plan.size(),
                   store.dir().c_str());
    return 128 + stopped;
  }
  std::string merge_error;
  if (world.rank() == 0) try {
      store.merge(stored, finished, header, header_model, info, multi);
    } catch (const std::exception& e) {
      merge_error = e.what();
    }
  boost::mpi::broadcast(world, merge_error, 0);
  if (!merge_error.empty())
    throw std::runtime_error("merging the points into " + output_path + ": " + merge_error);
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double wall_max = 0;
  boost::mpi::all_reduce(world, wall, wall_max, boost::mpi::maximum<double>());
  spdlog::info("simulated {} iterations in {} run(s) in {:.2f} s wall time", iterations,
               plan.size(), wall_max);
  if (world.rank() == 0 && !o.quiet) {
    print_report(output_path, std::cout);
    std::cout << "result: " << std::filesystem::absolute(output_path).string() << std::endl;
  }
  return kExitOk;
}

int run(RunOpts& o, int& argc, char**& argv) {
  boost::mpi::environment env(argc, argv, /*abort_on_exception=*/false);
  boost::mpi::communicator world;
  try {
    return simulate(o, world);
  } catch (const std::exception& e) {
    // Past the input checks an error is a bug, and it may hit one rank only: abort the whole
    // job rather than leave the other ranks waiting in a collective.
    std::fprintf(stderr, "sievesim: internal error on rank %d: %s\n", world.rank(), e.what());
    env.abort(kExitInternal);
  }
  return kExitInternal;
}

}  // namespace

Runner add_run_command(CLI::App& app, int& argc, char**& argv) {
  auto* cmd = app.add_subcommand(
      "run",
      "Simulate an experiment and write one HDF5 result file. Runs alone (all simulated nodes on "
      "one process) or under `mpirun -np R sievesim run ...` (R ranks, each hosting "
      "nodes/R nodes). The results depend only on the configuration and the seed, never on R.");
  auto o = std::make_shared<RunOpts>();
  cmd->add_option("experiment", o->file, "experiment YAML file (see configs/quickstart.yaml)")
      ->required()
      ->type_name("EXPERIMENT.yaml");
  auto* output = cmd->add_option("-o,--output", o->output,
                                 "result file (default: output.path of the experiment); written as "
                                 "OUT.h5.partial and renamed when complete")
                     ->type_name("OUT.h5");
  add_param_option(*cmd, o->params);
  cmd->add_option("--nodes-per-rank", o->nodes_per_rank,
                  "simulated nodes hosted by each MPI rank; ranks x nodes-per-rank must equal "
                  "system.nodes (default: system.nodes / ranks)")
      ->check(positive_integer())
      ->type_name("K");
  cmd->add_option("--seed", o->seed, "random seed (same as -p workload.seed=S)")
      ->check(non_negative_integer())
      ->type_name("S");
  cmd->add_option("--max-iterations", o->iterations,
                  "stop after N iterations even if requests are left (same as "
                  "-p workload.max_iterations=N)")
      ->check(positive_integer())
      ->type_name("N");
  cmd->add_option("--log-level", o->log_level, "trace, debug, info, warn, error or off")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  cmd->add_option("--schedulers", o->schedulers,
                  "compare these schedulers on the identical routing (same seed), e.g. "
                  "--schedulers pimoe,duplex,sieve,oracle; one result file with a group per "
                  "scheduler under /runs, and a comparison table")
      ->delimiter(',')
      ->type_name("A,B,...");
  cmd->add_option(
      "--baseline", o->baseline,
      "with --schedulers: the scheduler the ratios are taken against (default: the first)");
  cmd->add_option("--sweep", o->sweeps,
                  "run one experiment per value of a key, e.g. --sweep "
                  "workload.requests.closed.concurrency=1,2,4,8 (overrides the file's `sweep:` "
                  "section); given for several keys, one per combination (the first key "
                  "outermost); one result file with a group per point under /runs and a Pareto "
                  "table of throughput against interactivity")
      ->allow_extra_args(false)
      ->type_name("KEY=V1,V2,...");
  cmd->add_flag("--resume", o->resume,
                "keep the points an earlier, stopped run of the same experiment finished (in "
                "OUT.h5.partial/, or in OUT.h5) and run only the rest; refused when a finished "
                "point's configuration differs from the one given");
  cmd->add_flag("--log-all-ranks", o->log_all_ranks, "log from every rank, not only rank 0");
  cmd->add_flag("-q,--quiet", o->quiet, "print only warnings and errors, no summary");
  cmd->add_option("--progress-every", o->progress_every_s,
                  "seconds between progress lines when stderr is not a terminal (0: every "
                  "iteration; on a terminal the line is redrawn every iteration)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return [o, output, &argc, &argv]() {
    o->output_given = output->count() > 0;
    for (int i = 0; i < argc; ++i) o->command_line += (i ? " " : "") + std::string(argv[i]);
    return run(*o, argc, argv);
  };
}

}  // namespace sievesim::cli
