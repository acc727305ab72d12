// quorum-store-bench: the relay's control-plane load on one store (issue 15's "control-plane write load on
// SQLite and PostgreSQL"), measured through the same relay::Store the relay uses, on one event loop as in the
// relay. bench/store.sh runs it on SQLite and on a PostgreSQL 15 it starts; docs/benchmarks.md keeps figures.
//
//   quorum-store-bench (--data DIR | --database postgres://…) [--seconds S] [--concurrency N]
//
// Phases, each for S seconds (default 3), N calls in flight at once (default 4: the PostgreSQL pool's size;
// SQLite completes each call inline, so N changes nothing there):
//   usage-1      record_usage of one record per call: a synced transaction per request, what a relay would
//                do without its UsageBatch;
//   usage-batch  record_usage of 500 distinct rows per call, as a UsageBatch flush writes them;
//   check-key    check_key of a valid key: the read every request with a key makes;
//   touch-key    touch_key with a time that moves by kTouchEvery each call, so every call writes.
// Prints one line per phase: calls/s, rows/s, and the p50/p99 latency of a call, in ms.
#include <algorithm>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "relay/store.h"

namespace asio = boost::asio;
using quorum::relay::Cluster;
using quorum::relay::Store;
using quorum::relay::UsageRecord;
using Clock = std::chrono::steady_clock;

namespace {

struct Options {
  std::string data_dir;
  std::string database;
  double seconds = 3;
  int concurrency = 4;
};

struct Phase {
  std::string name;
  size_t rows_per_call = 1;
  // One call; false when it failed.
  std::function<asio::awaitable<bool>(uint64_t call)> call;
};

struct Tally {
  uint64_t calls = 0;
  uint64_t failures = 0;
  std::vector<double> latencies_ms;
};

asio::awaitable<void> worker(const Phase& phase, Clock::time_point until, uint64_t& next_call, Tally& tally) {
  while (Clock::now() < until) {
    const uint64_t n = next_call++;
    const auto start = Clock::now();
    const bool ok = co_await phase.call(n);
    tally.latencies_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    ++tally.calls;
    if (!ok) ++tally.failures;
  }
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

// Runs `phase` with `concurrency` workers for `seconds` on `ctx` and prints its line.
void run_phase(asio::io_context& ctx, const Phase& phase, const Options& options, const char* backend) {
  Tally tally;
  uint64_t next_call = 0;
  const auto start = Clock::now();
  const auto until =
      start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.seconds));
  for (int i = 0; i < options.concurrency; ++i) {
    asio::co_spawn(ctx, worker(phase, until, next_call, tally), asio::detached);
  }
  ctx.restart();
  ctx.run();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double calls_per_s = static_cast<double>(tally.calls) / elapsed;
  std::printf("%-8s %-12s %12.0f %12.0f %9.2f %9.2f %9llu\n", backend, phase.name.c_str(), calls_per_s,
              calls_per_s * static_cast<double>(phase.rows_per_call), percentile(tally.latencies_ms, 0.5),
              percentile(tally.latencies_ms, 0.99), static_cast<unsigned long long>(tally.failures));
  std::fflush(stdout);
}

UsageRecord record(const std::string& cluster, const std::string& key, uint64_t row) {
  UsageRecord r;
  r.day = "2026-12-01";
  r.cluster_id = cluster;
  r.key_id = key;
  r.node_id = "node-" + std::to_string(row % 50);
  r.model = "model-" + std::to_string(row / 50);
  r.requests = 1;
  r.prompt_tokens = 20;
  r.completion_tokens = 100;
  return r;
}

int usage() {
  std::fprintf(stderr,
               "usage: quorum-store-bench (--data DIR | --database postgres://...) [--seconds S] "
               "[--concurrency N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) return usage();
    const std::string value = argv[++i];
    if (arg == "--data") {
      options.data_dir = value;
    } else if (arg == "--database") {
      options.database = value;
    } else if (arg == "--seconds") {
      options.seconds = std::stod(value);
    } else if (arg == "--concurrency") {
      options.concurrency = std::max(1, std::stoi(value));
    } else {
      return usage();
    }
  }
  if (options.data_dir.empty() == options.database.empty()) return usage();

  asio::io_context ctx(1);
  std::unique_ptr<Store> store;
  std::string error;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        auto opened =
            co_await quorum::relay::open_store(options.database, options.data_dir, ctx.get_executor());
        if (!opened) {
          error = opened.error().message;
          co_return;
        }
        store = std::move(*opened);
      },
      asio::detached);
  ctx.run();
  if (!store) {
    std::fprintf(stderr, "quorum-store-bench: cannot open the store: %s\n", error.c_str());
    return 1;
  }

  // One cluster with one key, as a relay serving one team has.
  const std::string cluster_id = "bench0000000000a";
  std::string key_text;
  asio::co_spawn(
      ctx,
      [&]() -> asio::awaitable<void> {
        const Cluster cluster{cluster_id, "bench", std::string(32, 'k'), 0, std::nullopt};
        auto added = co_await store->add_cluster(cluster);
        if (!added) {
          error = added.error().message;
          co_return;
        }
        const std::vector<std::string> models;
        auto key = co_await store->create_key(cluster_id, "bench", {}, models, std::nullopt);
        if (!key) {
          error = key.error().message;
          co_return;
        }
        key_text = *key;
      },
      asio::detached);
  ctx.restart();
  ctx.run();
  if (key_text.empty()) {
    std::fprintf(stderr, "quorum-store-bench: cannot set up (a store that is not empty?): %s\n",
                 error.c_str());
    return 1;
  }
  const std::string key_id = quorum::auth::api_key::parse(key_text)->id;
  const char* backend = store->backend().data();

  std::vector<Phase> phases;
  phases.push_back({"usage-1", 1, [&](uint64_t n) -> asio::awaitable<bool> {
                      const UsageRecord r = record(cluster_id, key_id, n % 1000);
                      auto done = co_await store->record_usage(std::span<const UsageRecord>(&r, 1));
                      co_return done.ok();
                    }});
  phases.push_back({"usage-batch", 500, [&](uint64_t n) -> asio::awaitable<bool> {
                      std::vector<UsageRecord> rows;
                      rows.reserve(500);
                      for (uint64_t i = 0; i < 500; ++i)
                        rows.push_back(record(cluster_id, key_id, (n * 500 + i) % 5000));
                      auto done = co_await store->record_usage(rows);
                      co_return done.ok();
                    }});
  phases.push_back({"check-key", 1, [&](uint64_t) -> asio::awaitable<bool> {
                      auto check = co_await store->check_key(key_text);
                      co_return check.ok() && check->verdict == quorum::relay::KeyVerdict::ok;
                    }});
  phases.push_back({"touch-key", 1, [&](uint64_t n) -> asio::awaitable<bool> {
                      const auto at = static_cast<quorum::relay::UnixSeconds>(1'800'000'000 +
                                                                              n * quorum::relay::kTouchEvery);
                      auto touched = co_await store->touch_key(key_id, at);
                      co_return touched.ok();
                    }});

  std::printf("%-8s %-12s %12s %12s %9s %9s %9s\n", "store", "phase", "calls/s", "rows/s", "p50 ms", "p99 ms",
              "failures");
  for (const auto& phase : phases) run_phase(ctx, phase, options, backend);
  return 0;
}
