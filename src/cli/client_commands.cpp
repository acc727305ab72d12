#include "cli/client_commands.h"

#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <set>
#include <variant>

#include "net/http_client.h"
#include "wire/events.h"
#include "wire/openai_dialect.h"
#include "wire/sse.h"

namespace quorum::cli {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

template <class F>
int run_task(F make_task) {
  asio::io_context io;
  int rc = 1;
  asio::co_spawn(io, make_task(), [&](const std::exception_ptr& e, int value) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        std::cerr << "error: " << ex.what() << "\n";
      }
      rc = 1;
    } else {
      rc = value;
    }
  });
  io.run();
  return rc;
}

// The message of an OpenAI-shaped error body, or the body itself.
std::string error_message(int status, const std::string& body) {
  json::error_code ec;
  json::value v = json::parse(body, ec);
  if (!ec && v.is_object()) {
    if (auto* e = v.get_object().if_contains("error")) {
      if (e->is_object()) {
        if (auto* m = e->get_object().if_contains("message"); m && m->is_string())
          return std::string(m->get_string());
      } else if (e->is_string()) {
        return std::string(e->get_string());
      }
    }
  }
  return "HTTP " + std::to_string(status) + (body.empty() ? "" : ": " + body);
}

net::ClientOptions cli_client_options() {
  net::ClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(3000);
  return o;
}

}  // namespace

std::string node_url(const std::string& flag) {
  std::string url = flag;
  if (url.empty()) {
    if (const char* env = std::getenv("QUORUM_URL"); env && *env) url = env;
  }
  if (url.empty()) url = "http://127.0.0.1:32768";
  while (!url.empty() && url.back() == '/') url.pop_back();
  if (url.size() >= 3 && url.compare(url.size() - 3, 3, "/v1") == 0) url.resize(url.size() - 3);
  return url;
}

int run_chat(const ChatOptions& options) {
  std::string prompt = options.prompt;
  if (prompt.empty()) {
    prompt.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    while (!prompt.empty() && (prompt.back() == '\n' || prompt.back() == '\r')) prompt.pop_back();
  }
  if (prompt.empty()) {
    std::cerr << "error: no prompt (give one as an argument or on standard input)\n";
    return 2;
  }
  json::array messages;
  if (!options.system.empty())
    messages.push_back(json::object{{"role", "system"}, {"content", options.system}});
  messages.push_back(json::object{{"role", "user"}, {"content", prompt}});
  json::object body{{"model", options.model}, {"messages", std::move(messages)}, {"stream", true}};
  if (options.max_tokens) body["max_tokens"] = *options.max_tokens;
  if (options.temperature) body["temperature"] = *options.temperature;
  std::string url = node_url(options.url) + "/v1/chat/completions";
  const bool tty = isatty(STDOUT_FILENO);

  return run_task([&]() -> net::Task<int> {
    net::Headers h;
    h.add("Content-Type", "application/json");
    auto r = co_await net::http_request("POST", url, h, json::serialize(body), cli_client_options());
    if (!r) {
      std::cerr << "error: " << r.error().message << "\n";
      co_return 1;
    }
    auto& response = *r;
    if (response->status() != 200) {
      auto text = co_await response->read_all(1 << 20);
      std::cerr << "error: " << error_message(response->status(), text ? *text : "") << "\n";
      co_return 1;
    }
    wire::SseDecoder decoder;
    std::vector<wire::SseEvent> events;
    std::vector<wire::StreamEvent> chunk;  // one event decoded as the node decodes its engines' chunks
    bool in_reasoning = false;
    bool done = false;
    bool wrote = false;
    auto end_reasoning = [&] {
      if (!in_reasoning) return;
      in_reasoning = false;
      if (tty) std::fputs("\x1b[0m\n", stdout);
    };
    while (!done) {
      auto piece = co_await response->read_some();
      if (!piece) {
        end_reasoning();
        std::cerr << "\nerror: " << piece.error().message << "\n";
        co_return 1;
      }
      if (piece->empty() || decoder.overflowed()) break;
      events.clear();
      decoder.feed(*piece, events);
      if (decoder.overflowed()) events.clear();  // reported below, as a stream that ended before [DONE]
      for (const auto& e : events) {
        if (wire::is_done_sentinel(e.data)) {
          done = true;
          break;
        }
        chunk.clear();
        wire::parse_openai_chunk(e.data, chunk);
        for (const auto& event : chunk) {
          if (const auto* reasoning = std::get_if<wire::ReasoningDelta>(&event)) {
            if (!in_reasoning) {
              in_reasoning = true;
              if (tty) std::fputs("\x1b[2m", stdout);
            }
            std::fwrite(reasoning->text.data(), 1, reasoning->text.size(), tty ? stdout : stderr);
          } else if (const auto* text = std::get_if<wire::TextDelta>(&event)) {
            end_reasoning();
            std::fwrite(text->text.data(), 1, text->text.size(), stdout);
            wrote = true;
          } else if (const auto* error = std::get_if<wire::StreamError>(&event)) {
            end_reasoning();
            std::fflush(stdout);
            std::cerr << (wrote ? "\n" : "") << "error: " << error->error.message << "\n";
            co_return 1;
          }
        }
        std::fflush(stdout);
      }
    }
    end_reasoning();
    if (!done) {
      std::cerr << (wrote ? "\n" : "") << "error: the stream ended before [DONE]\n";
      co_return 1;
    }
    std::fputs("\n", stdout);
    co_return 0;
  });
}

namespace {

// GET `url` and parse its JSON object with a "data" member. With `print_raw`, prints the body as it came.
// The error's status is the exit code (1) after the message went to stderr.
net::Task<Result<json::value>> get_json(const std::string& url, bool print_raw) {
  auto failed = [](const std::string& message) {
    std::cerr << "error: " << message << "\n";
    return ApiError::server(1, message);
  };
  auto r = co_await net::http_request("GET", url, {}, {}, cli_client_options());
  if (!r) co_return failed(r.error().message);
  auto text = co_await (*r)->read_all(1 << 24);
  if (!text) co_return failed(text.error().message);
  if ((*r)->status() != 200) co_return failed(error_message((*r)->status(), *text));
  if (print_raw) {
    std::cout << *text << "\n";
    co_return json::value();
  }
  json::error_code ec;
  json::value v = json::parse(*text, ec);
  if (ec || !v.is_object() || !v.get_object().contains("data"))
    co_return failed("unexpected answer from " + url);
  co_return v;
}

}  // namespace

int run_models(const std::string& flag_url, bool as_json) {
  std::string url = node_url(flag_url) + "/v1/models";
  return run_task([&]() -> net::Task<int> {
    auto fetched = co_await get_json(url, as_json);
    if (!fetched) co_return fetched.error().status;
    if (as_json) co_return 0;
    json::value v = std::move(fetched.value());
    const auto& data = v.at("data").get_array();
    if (data.empty()) {
      std::cout << "No models. Start an engine (Ollama, LM Studio, llama-server, vLLM) or pass --engine to "
                   "the node.\n";
      co_return 0;
    }
    // ENGINES: this node's engines that serve the model; NODES (when models are spread over several nodes):
    // every node of the cluster that holds it.
    struct Row {
      std::string id, engines, nodes;
      bool loaded = false;
    };
    auto joined = [](const json::value* list, auto&& item) {
      std::string out;
      if (!list || !list->is_array()) return out;
      for (const auto& v : list->get_array()) {
        std::string text = item(v);
        if (!text.empty()) out += (out.empty() ? "" : ", ") + text;
      }
      return out;
    };
    std::vector<Row> rows;
    std::set<std::string> node_ids;
    size_t id_width = 5, engines_width = 7;
    for (const auto& m : data) {
      Row row;
      row.id = std::string(m.at("id").get_string());
      if (auto* q = m.get_object().if_contains("quorum"); q && q->is_object()) {
        const auto& ext = q->get_object();
        row.engines = joined(ext.if_contains("engines"), [](const json::value& e) {
          return e.is_string() ? std::string(e.get_string()) : "";
        });
        row.nodes = joined(ext.if_contains("nodes"), [&](const json::value& n) {
          const auto* name = n.is_object() ? n.get_object().if_contains("name") : nullptr;
          const auto* id = n.is_object() ? n.get_object().if_contains("id") : nullptr;
          if (id && id->is_string()) node_ids.insert(std::string(id->get_string()));
          return name && name->is_string() ? std::string(name->get_string()) : std::string();
        });
        if (auto* l = ext.if_contains("loaded"); l && l->is_bool()) row.loaded = l->get_bool();
      }
      if (row.engines.empty()) row.engines = "-";
      id_width = std::max(id_width, row.id.size());
      engines_width = std::max(engines_width, row.engines.size());
      rows.push_back(std::move(row));
    }
    const bool clustered = node_ids.size() > 1;
    std::string header = "MODEL" + std::string(id_width - 5, ' ') + "  LOADED   ENGINES";
    if (clustered) header += std::string(engines_width - 7, ' ') + "  NODES";
    std::puts(header.c_str());
    for (const auto& r : rows) {
      if (clustered) {
        std::printf("%-*s  %-7s  %-*s  %s\n", static_cast<int>(id_width), r.id.c_str(),
                    r.loaded ? "yes" : "no", static_cast<int>(engines_width), r.engines.c_str(),
                    r.nodes.c_str());
      } else {
        std::printf("%-*s  %-7s  %s\n", static_cast<int>(id_width), r.id.c_str(), r.loaded ? "yes" : "no",
                    r.engines.c_str());
      }
    }
    co_return 0;
  });
}

int run_nodes(const std::string& flag_url, bool as_json) {
  std::string url = node_url(flag_url) + "/v1/cluster/nodes";
  return run_task([&]() -> net::Task<int> {
    auto fetched = co_await get_json(url, as_json);
    if (!fetched) co_return fetched.error().status;
    if (as_json) co_return 0;
    const auto& o = fetched->get_object();
    if (o.at("cluster").is_null()) {
      std::cout
          << "This node is in no cluster: `quorum cluster init` creates one, `quorum cluster join TOKEN` "
             "joins one.\n";
      co_return 0;
    }
    // Models last: the one column of no fixed width. A loaded (warm) model is marked with '*'.
    std::printf("%-20s  %-32s  %-21s  %-11s  %-9s  %-10s  %s\n", "NAME", "ID", "ADDRESS", "STATE",
                "IN-FLIGHT", "LAST SEEN", "MODELS (* loaded)");
    auto text = [](const json::object& n, const char* key) {
      const auto* v = n.if_contains(key);
      return v && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    auto number = [](const json::object& n, const char* key) {
      const auto* v = n.if_contains(key);
      return v && v->is_number() ? v->to_number<int64_t>() : int64_t{0};
    };
    auto row = [&](const json::object& n, const std::string& seen) {
      // A peer reached through the relay has no address of its own here.
      std::string address = text(n, "path") == "relay"
                                ? std::string("via relay")
                                : text(n, "address") + ":" + std::to_string(number(n, "port"));
      std::string load = std::to_string(number(n, "in_flight")) + "/" + std::to_string(number(n, "capacity"));
      std::string models;
      if (const auto* list = n.if_contains("models"); list && list->is_array()) {
        for (const auto& m : list->get_array()) {
          if (!m.is_object()) continue;
          models += (models.empty() ? "" : ", ") + text(m.get_object(), "id");
          if (const auto* l = m.get_object().if_contains("loaded"); l && l->is_bool() && l->get_bool())
            models += "*";
        }
      }
      std::string state = text(n, "state") == "self" ? "this node" : text(n, "state");
      std::printf("%-20s  %-32s  %-21s  %-11s  %-9s  %-10s  %s\n", text(n, "name").c_str(),
                  text(n, "id").c_str(), address.c_str(), state.c_str(), load.c_str(), seen.c_str(),
                  models.empty() ? "-" : models.c_str());
    };
    if (const auto* self = o.if_contains("self"); self && self->is_object()) row(self->get_object(), "-");
    for (const auto& n : o.at("data").get_array()) {
      if (!n.is_object()) continue;
      char seen[32];
      std::snprintf(seen, sizeof seen, "%.1f s ago",
                    static_cast<double>(number(n.get_object(), "last_seen_ms_ago")) / 1000.0);
      row(n.get_object(), seen);
    }
    // How discovery is doing: tells "no peer announces itself" from "this node cannot use multicast".
    if (const auto* d = o.if_contains("discovery"); d && d->is_object()) {
      const auto& disc = d->get_object();
      const auto* mdns = disc.if_contains("mdns");
      std::string line;
      if (!mdns || !mdns->is_bool() || !mdns->get_bool()) {
        line = "mDNS: off (peers come from --peer only)";
      } else {
        std::string interfaces;
        if (const auto* list = disc.if_contains("interfaces"); list && list->is_array()) {
          for (const auto& i : list->get_array()) {
            if (i.is_string()) interfaces += (interfaces.empty() ? "" : ", ") + std::string(i.get_string());
          }
        }
        line = interfaces.empty()
                   ? "mDNS: on no interface (no network with multicast; use --peer)"
                   : "mDNS: on " + interfaces + "; heard " + std::to_string(number(disc, "nodes_heard")) +
                         " node(s) of this cluster, ignored " +
                         std::to_string(number(disc, "other_clusters")) + " of other clusters";
      }
      std::printf("\n%s\n", line.c_str());
    }
    co_return 0;
  });
}

}  // namespace quorum::cli
