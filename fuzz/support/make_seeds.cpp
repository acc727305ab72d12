// Writes the seed corpora of the harnesses (fuzz/corpus/<harness>/<seed>): realistic inputs, made with the
// code's own encoders and signer where it has them (mDNS packets, heartbeat statuses, join tokens), and
// otherwise as engines and clients really send them (openai-wire.md: llama-server, vLLM and Ollama shapes).
// Each harness's input layout (option bytes before the payload) is described at the top of its file.
//
// Usage: fuzz_make_seeds DIR (scripts/fuzz.sh seeds writes fuzz/corpus). The output is committed; rerun after
// changing an input layout.
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "auth/api_key.h"
#include "auth/key_book.h"
#include "cluster/dns_message.h"
#include "cluster/mdns_records.h"
#include "cluster/membership.h"
#include "cluster/node_status.h"
#include "link/frame.h"
#include "link/relay_auth.h"
#include "relay/mesh_home.h"

namespace fs = std::filesystem;
namespace dns = quorum::cluster::dns;
using namespace quorum::cluster;

namespace {

fs::path root;

void write(const std::string& harness, const std::string& name, std::string_view bytes) {
  fs::create_directories(root / harness);
  std::ofstream out(root / harness / name, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

std::string bytes(const std::vector<uint8_t>& v) {
  return {v.begin(), v.end()};
}

std::string packet(const dns::Message& m) {
  auto encoded = dns::encode(m);
  if (!encoded) {
    std::cerr << encoded.error().message << "\n";
    std::exit(1);
  }
  return bytes(*encoded);
}

// Two option bytes, little-endian, before a payload.
std::string u16(unsigned v) {
  return {static_cast<char>(v & 0xff), static_cast<char>(v >> 8)};
}

void dns_seeds() {
  ServiceAnnouncement a;
  a.node_id = "3b5f0a6c2d8e4f1a9b7c5d3e1f0a2b4c";
  a.name = "lab-workstation";
  a.version = "0.1.0";
  a.fingerprint = "5e0c9a1f3b7d2e48";
  a.port = 32768;
  a.addresses = {{192, 168, 1, 23}, {10, 0, 0, 5}};
  write("dns", "announcement", packet(announcement(a)));
  ServiceAnnouncement dotted = a;
  dotted.node_id = "c4b2a0f1e3d5c7b9a1f4e2d8c6a0b5f3";
  dotted.name = "Lab 2.1 \\ bench";
  dotted.addresses.clear();
  write("dns", "announcement_no_address", packet(announcement(dotted)));
  ServiceAnnouncement goodbye = a;
  goodbye.ttl = 0;
  write("dns", "goodbye", packet(announcement(goodbye)));
  write("dns", "browse_query", packet(browse_query(false)));
  write("dns", "browse_query_unicast", packet(browse_query(true)));

  // What else shares the link: another service with AAAA, an NSEC kept as raw rdata, and a known answer in a
  // query (RFC 6762 section 7.1).
  dns::Message other;
  other.response = true;
  other.authoritative = true;
  dns::Record ptr;
  ptr.name = "_http._tcp.local";
  ptr.type = dns::Type::PTR;
  ptr.target = "printer._http._tcp.local";
  other.answers.push_back(ptr);
  dns::Record aaaa;
  aaaa.name = "printer.local";
  aaaa.type = dns::Type::AAAA;
  aaaa.cache_flush = true;
  aaaa.ipv6 = {0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0x02, 0x11, 0x22, 0xff, 0xfe, 0x33, 0x44, 0x55};
  other.additionals.push_back(aaaa);
  dns::Record nsec;
  nsec.name = "printer.local";
  nsec.type = static_cast<dns::Type>(47);
  nsec.rdata = {0xc0, 0x0c, 0x00, 0x04, 0x40, 0x00, 0x00, 0x08};
  other.additionals.push_back(nsec);
  write("dns", "other_service", packet(other));

  dns::Message query = browse_query(false);
  dns::Record known;
  known.name = std::string(kQuorumService);
  known.type = dns::Type::PTR;
  known.ttl = 4500;
  known.target = a.node_id + "." + std::string(kQuorumService);
  query.answers.push_back(known);
  write("dns", "query_with_known_answer", packet(query));
}

void sse_seeds() {
  write("sse_decoders", "llama_server",
        "data: "
        "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
        "null}}],"
        "\"created\":1753357673,\"id\":\"chatcmpl-x1\",\"model\":\"tiny\",\"object\":\"chat.completion."
        "chunk\"}\n\n"
        "data: "
        "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"h\xC3\xA9llo\"}}]}\n\n"
        "data: {\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}]}\n\n"
        "data: [DONE]\n\n");
  write("sse_decoders", "crlf_comments_multiline",
        ": keep-alive\r\n\r\nevent: message\r\nid: 7\r\nretry: 100\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n"
        "data:no-space\r\rdata: [DONE]\r\n\r\n");
  write("sse_decoders", "llama_legacy_error",
        "error: {\"code\":500,\"message\":\"slot unavailable\",\"type\":\"server_error\"}\n\n");
  write("sse_decoders", "event_error", "event: error\ndata: {\"error\":{\"message\":\"boom\"}}\n\n");
  write("sse_decoders", "ollama_ndjson",
        "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.184789Z\",\"message\":{\"role\":"
        "\"assistant\","
        "\"content\":\"\xE4\xB8\x96\"},\"done\":false}\r\n"
        "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,"
        "\"done_reason\":\"stop\",\"prompt_eval_count\":26,\"eval_count\":282}");
  write("sse_decoders", "utf8_edges",
        "\xF0\x9F\x99\x82 \xE2\x82\xAC \xC3\xA9 \xED\xA0\x80 \xC0\xAF \xF4\x90\x80\x80 \xE0\x80\x80 "
        "\xF0\x9F\x99");
}

// engine_stream: an option byte (bit 0 NDJSON, bit 1 text completion, bit 2 include_usage), n - 1, body.
void engine_stream_seeds() {
  auto seed = [](const std::string& name, int options, int n, std::string_view body) {
    std::string s{static_cast<char>(options), static_cast<char>(n - 1)};
    write("engine_stream", name, s.append(body));
  };
  seed(
      "llama_server_chat_usage", 4, 1,
      "data: "
      "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":null}}"
      "],"
      "\"created\":1753357673,\"id\":\"chatcmpl-x1\",\"model\":\"tiny\",\"system_fingerprint\":\"b6123-abc\","
      "\"object\":\"chat.completion.chunk\"}\n\n"
      "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}\n\n"
      "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"lo \xF0\x9F\"}}]}\n\n"
      "data: {\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\"\x99\x82\"}}]}\n\n"
      "data: "
      "{\"choices\":[{\"finish_reason\":\"stop\",\"index\":0,\"delta\":{}}],\"timings\":{\"prompt_n\":5,"
      "\"predicted_n\":3,\"predicted_per_second\":412.5}}\n\n"
      "data: {\"choices\":[],\"usage\":{\"completion_tokens\":3,\"prompt_tokens\":5,\"total_tokens\":8}}\n\n"
      "data: [DONE]\n\n");
  seed(
      "vllm_reasoning_tools", 0, 1,
      "data: {\"id\":\"chatcmpl-v\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
      "{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"The user wants\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning\":\" weather.\"}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"chatcmpl-tool-1\","
      "\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"arguments\":\"\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
      "\"{\\\"city\\\": \"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
      "\"\\\"Tokyo\\\"}\"}}]}}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"chatcmpl-tool-2\","
      "\"function\":{\"name\":\"get_time\",\"arguments\":{\"tz\":\"JST\"}}}]},\"stop_reason\":null}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\",\"stop_reason\":null}],"
      "\"usage\":{\"prompt_tokens\":149,\"completion_tokens\":60,\"total_tokens\":209,"
      "\"completion_tokens_details\":{\"reasoning_tokens\":12},\"prompt_tokens_details\":{\"cached_tokens\":"
      "0}}}\n\n"
      "data: [DONE]\n\n");
  seed(
      "ollama_v1_thinking", 4, 1,
      "data: "
      "{\"id\":\"chatcmpl-42\",\"object\":\"chat.completion.chunk\",\"system_fingerprint\":\"fp_ollama\","
      "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"reasoning\":\"hmm\"},"
      "\"finish_reason\":null}]}\n\n"
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":"
      "null}]}\n\n"
      "data: "
      "{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":"
      "\"stop\"}]}\n\n"
      "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n"
      "data: [DONE]\n\n");
  seed("text_completion_two_choices", 2, 2,
       "data: {\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"choices\":[{\"index\":1,\"text\":\"b\","
       "\"finish_reason\":null},{\"index\":0,\"text\":\"a\",\"finish_reason\":null}]}\n\n"
       "data: "
       "{\"choices\":[{\"index\":0,\"text\":\"\",\"finish_reason\":\"length\"},{\"index\":1,\"text\":\"!\","
       "\"finish_reason\":\"eos\"}]}\n\n"
       "data: [DONE]\n\n");
  seed("vllm_error_mid_stream", 0, 1,
       "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"par\"}}]}\n\n"
       "data: {\"error\":{\"object\":\"error\",\"message\":\"CUDA out of "
       "memory\",\"type\":\"InternalServerError\","
       "\"param\":null,\"code\":500}}\n\n"
       "data: [DONE]\n\n");
  seed("llama_legacy_error_field", 0, 1,
       "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n"
       "error: {\"code\":400,\"message\":\"the request exceeds the available context size\","
       "\"type\":\"exceed_context_size_error\",\"n_prompt_tokens\":9000,\"n_ctx\":4096}\n\n");
  seed("truncated_stream", 0, 1,
       "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"cut\"}}]}\n\ndata: {\"cho");
  seed(
      "ollama_chat", 5, 1,
      "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.184789Z\",\"message\":{\"role\":"
      "\"assistant\","
      "\"content\":\"\",\"thinking\":\"Let me see\"},\"done\":false}\n"
      "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.2Z\",\"message\":{\"role\":\"assistant\","
      "\"content\":\"The\"},\"done\":false}\n"
      "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.3Z\",\"message\":{\"role\":\"assistant\","
      "\"content\":\"\",\"tool_calls\":[{\"id\":\"call_1\",\"function\":{\"index\":0,\"name\":\"get_"
      "weather\","
      "\"arguments\":{\"city\":\"Tokyo\"}}}]},\"done\":false}\n"
      "{\"model\":\"llama3.2\",\"created_at\":\"2025-07-07T20:22:19.4Z\",\"message\":{\"role\":\"assistant\","
      "\"content\":\"\"},\"done\":true,\"done_reason\":\"stop\",\"total_duration\":4883583458,"
      "\"prompt_eval_count\":26,\"prompt_eval_duration\":342546000,\"eval_count\":282,\"eval_duration\":"
      "4535599000}\n");
  seed(
      "ollama_generate_no_final_newline", 3, 1,
      "{\"model\":\"llama3.2\",\"created_at\":\"2025-05-04T17:37:44.706015396-07:00\",\"response\":\"Once\","
      "\"done\":false}\r\n"
      "{\"model\":\"llama3.2\",\"response\":\"\",\"done\":true,\"done_reason\":\"length\",\"eval_count\":1}");
  seed("ollama_error_line", 1, 1,
       "{\"model\":\"llama3.2\",\"message\":{\"role\":\"assistant\",\"content\":\"a\"},\"done\":false}\n"
       "{\"error\":\"an error was encountered while running the model: unexpected EOF\"}\n");
}

// request: endpoint byte (0 chat, 1 completion, 2 embeddings), context size - 1 and vocabulary size - 1
// (little-endian 16 bits each), body.
void request_seeds() {
  auto seed = [](const std::string& name, int endpoint, std::string_view body) {
    std::string s(1, static_cast<char>(endpoint));
    s += u16(4095) + u16(32000 - 1);
    write("request", name, s.append(body));
  };
  seed("chat_minimal", 0, R"({"model":"qwen3-0.6b","messages":[{"role":"user","content":"Hello"}]})");
  seed(
      "chat_stream_sampling", 0,
      R"({"model":"tiny","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"hi"}],)"
      R"("stream":true,"stream_options":{"include_usage":true},"n":2,"max_completion_tokens":64,)"
      R"("temperature":0.7,"top_p":0.9,"top_k":40,"min_p":0.05,"presence_penalty":0.1,"frequency_penalty":-0.2,)"
      R"("repeat_penalty":1.1,"repeat_last_n":2147483647,"seed":-1,"stop":["\n\n","User:"],"ignore_eos":false})");
  seed(
      "chat_tools_and_images", 0,
      R"({"model":"llama3.2","messages":[{"role":"developer","content":"Use tools."},)"
      R"({"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":)"
      R"({"url":"data:image/png;base64,iVBORw0KGgo="}}]},{"role":"assistant","content":null,"tool_calls":)"
      R"([{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Tokyo\"}"}}]},)"
      R"({"role":"tool","tool_call_id":"call_1","content":"sunny"}],"tools":[{"type":"function","function":)"
      R"({"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],)"
      R"("response_format":{"type":"json_schema","json_schema":{"name":"w","schema":{"type":"object"}}},)"
      R"("reasoning_effort":"minimal","keep_alive":"5m","options":{"num_ctx":8192}})");
  seed("chat_out_of_range", 0,
       R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":1e300,"seed":1.5,"n":129})");
  seed(
      "completion_prompt", 1,
      R"({"model":"tiny","prompt":"Once upon a time","max_tokens":16,"stream":true,"temperature":0,"stop":"\n"})");
  seed("completion_tokens", 1, R"({"model":"tiny","prompt":[[1,15043,2],[1,2]],"max_tokens":0})");
  seed("embeddings_strings", 2,
       R"({"model":"nomic-embed","input":["first","second"],"encoding_format":"base64"})");
  seed("embeddings_tokens", 2, R"({"model":"nomic-embed","input":[101,2023,2003,102],"dimensions":64})");
}

// engine_errors: the engine's HTTP status (little-endian 16 bits), a reader byte (0 engine_error,
// 1 ollama_error, 2 engine_stream_error, 3 /api/tags, 4 /api/ps, 5 /api/embed, 6 an RFC 3339 time), body.
void engine_error_seeds() {
  auto seed = [](const std::string& name, unsigned status, int reader, std::string_view body) {
    std::string s = u16(status) + std::string(1, static_cast<char>(reader));
    write("engine_errors", name, s.append(body));
  };
  seed(
      "llama_context", 400, 0,
      R"({"error":{"code":400,"message":"the request exceeds the available context size, try increasing it",)"
      R"("type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":4096}})");
  seed("vllm_flat", 400, 0,
       R"({"object":"error","message":"max_tokens must be at least 1, got 0.","type":"BadRequestError",)"
       R"("param":null,"code":400})");
  seed(
      "openai_rate_limit", 429, 0,
      R"({"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}})");
  seed("plain_text_bad_gateway", 502, 0, "<html><body><h1>502 Bad Gateway</h1></body></html>\n");
  seed("empty_503", 503, 0, "");
  seed("ollama_not_found", 404, 1, R"({"error":"model 'llama3.2' not found, try pulling it first"})");
  seed("ollama_500", 500, 1, R"({"error":"llama runner process has terminated: signal: killed"})");
  seed("stream_error_object", 0, 2,
       R"({"error":{"code":503,"message":"Loading model","type":"unavailable_error"}})");
  seed("stream_error_legacy", 0, 2, R"({"code":500,"message":"slot unavailable","type":"server_error"})");
  seed("stream_error_text", 0, 2, "upstream timed out");
  seed("ollama_tags", 200, 3,
       R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","modified_at":)"
       R"("2025-05-04T17:37:44.706015396-07:00","size":2019393189,"digest":"a80c4f17acd5",)"
       R"("details":{"parent_model":"","format":"gguf","family":"llama","families":["llama"],)"
       R"("parameter_size":"3.2B","quantization_level":"Q4_K_M"},"capabilities":["completion","tools"]},)"
       R"({"model":"qwen3:0.6b","modified_at":"2025-07-01T08:00:00Z"}]})");
  seed("ollama_ps", 200, 4,
       R"({"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":3803452416,)"
       R"("expires_at":"2025-07-07T20:27:19.184789Z","size_vram":0}]})");
  seed("ollama_embed", 200, 5,
       R"({"model":"nomic-embed-text","embeddings":[[0.010071029,-0.0017594862,0.05007221],[0.5,1e-7,-3]],)"
       R"("total_duration":14143917,"load_duration":1019500,"prompt_eval_count":8})");
  seed("rfc3339_offset", 0, 6, "2025-05-04T17:37:44.706015396-07:00");
  seed("rfc3339_utc", 0, 6, "2025-07-07T20:22:19Z");
}

void node_status_seeds() {
  NodeStatus s;
  s.id = "3b5f0a6c2d8e4f1a9b7c5d3e1f0a2b4c";
  s.name = "lab-workstation";
  s.version = "0.1.0";
  s.port = 32768;
  s.models = {{"qwen3-0.6b", true, 1753357673, "llamacpp"}, {"llama3.2:latest", false, 0, "library"}};
  s.engines = {"llamacpp", "ollama"};
  s.in_flight = 2;
  s.capacity = 4;
  write("node_status", "two_engines", boost::json::serialize(status_to_json(s)));
  NodeStatus idle;
  idle.id = "c4b2a0f1e3d5c7b9a1f4e2d8c6a0b5f3";
  idle.port = 40000;
  write("node_status", "no_models", boost::json::serialize(status_to_json(idle)));
}

// peer_proof: a mode byte (bit 0 identity request, bit 1 reply), then edit operations (see the harness).
void peer_proof_seeds() {
  auto seed = [](const std::string& name, std::string_view s) { write("peer_proof", name, s); };
  seed("request_as_signed", std::string(1, '\0'));
  seed("identity_as_signed", "\x01");
  seed("reply_as_signed", "\x02");
  seed("request_clock_30s_late", std::string("\x00\x0a\x2c\x01", 4));  // op 10: clock, +300 x 100 ms
  seed("request_proof_byte", std::string("\x00\x06\x00\x41", 4));      // op 6: set proof[0] = 'A'
  seed("request_to_emptied", std::string("\x00\x2f\x00", 3));  // op 47: field 3 (to), kind 4: cut at 0
  seed("identity_other_target", std::string("\x01\x22\x05/v1/x", 8));  // op 34: field 1 (target), kind 3
}

void join_token_seeds() {
  Membership m{"0f1e2d3c4b5a6978", "9f2c4e1a7b3d5f608192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8"};
  std::string token = encode_join_token(m);
  write("join_token", "token", token);
  write("join_token", "token_pasted", "  " + token + "\r\n");
  write("join_token", "token_cut", token.substr(0, token.size() - 5));
  write("join_token", "not_a_token", "qc2.aGVsbG8");
}

// api_key: keys and enrolment tokens as the relay prints them, pasted, cut, mistyped and of the wrong kind.
void api_key_seeds() {
  namespace key = quorum::auth::api_key;
  const std::string id = "3fZ9a0LmQ2xY";
  const std::string secret = "1Qm8c2RZr7Vn0fXGk5dT4pYw9HbE3aLs6NjU2yKq8oW";
  const std::string text = key::compose(key::Kind::key, id, secret);
  write("api_key", "key", text);
  write("api_key", "enrol_token", key::compose(key::Kind::enrol_token, id, secret));
  write("api_key", "key_padded",
        key::compose(key::Kind::key, "000000000000", std::string(key::kSecretLength, '0')));
  write("api_key", "key_bearer", "Bearer " + text + "\r\n");
  write("api_key", "key_cut", text.substr(0, text.size() - 4));
  std::string typo = text;
  typo[30] = typo[30] == 'a' ? 'b' : 'a';
  write("api_key", "key_typo", typo);
  write("api_key", "openai_key", "sk-proj-4f9c2a7e1b3d5f6a8c0e2b4d6f8a0c2e");
}

// gguf_header: the file's size (little-endian 64 bits), then the start of the file.
void gguf_seeds() {
  auto le = [](uint64_t v, int width) {
    std::string s;
    for (int i = 0; i < width; ++i) s += static_cast<char>(v >> (8 * i));
    return s;
  };
  write("gguf_header", "v3_model", le(9437184, 8) + "GGUF" + le(3, 4) + le(201, 8) + le(27, 8));
  write("gguf_header", "v2_vocab_only", le(1048576, 8) + "GGUF" + le(2, 4) + le(0, 8) + le(24, 8));
  write("gguf_header", "safetensors",
        le(4096, 8) + std::string("\x08\x00\x00\x00\x00\x00\x00\x00{\"__meta", 16));
  write("gguf_header", "truncated", le(10, 8) + "GGUF" + le(3, 4) + "\x01\x00");
}

void http_seeds() {
  auto seed = [](const std::string& name, std::string_view s) { write("http_server", name, s); };
  seed("get_health",
       "GET /health HTTP/1.1\r\nHost: localhost:32768\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n");
  std::string json = R"({"model":"m","messages":[{"role":"user","content":"hi"}]})";
  seed("post_json",
       "POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
       "Content-Length: " +
           std::to_string(json.size()) + "\r\n\r\n" + json);
  seed("post_chunked_stream",
       "POST /stream HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n "
       "world\r\n0\r\n"
       "Trailer: x\r\n\r\n");
  seed("pipelined_three",
       "GET /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /v1/models HTTP/1.1\r\nHost: h\r\n\r\n"
       "POST /throw HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{}");
  seed("http10_stream", "GET /stream HTTP/1.0\r\n\r\n");
  seed("expect_continue",
       "POST /v1/embeddings HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\ntest");
  seed("too_large",
       "POST /v1/chat/completions HTTP/1.1\r\nHost: h\r\nContent-Length: 5000\r\n\r\n{\"model\"");
  seed("chunked_too_large", "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n500\r\n" +
                                std::string(1280, 'a') + "\r\n0\r\n\r\n");
  seed("connection_close",
       "GET /x HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\nGET /never HTTP/1.1\r\n\r\n");
  seed("bad_request_line", "GET /x HTTP/1.1 extra\r\n\r\n");
}

// relay_link: link frames of every type, control authorization headers, key lists as the relay pushes them.
void relay_link_seeds() {
  namespace l = quorum::link;
  write("relay_link", "hello", l::encode(l::FrameType::kHello, 0, R"({"relay_id":"r1","challenge":"abc"})"));
  write("relay_link", "data_end", l::encode(l::FrameType::kData, 7, "GET / HTTP/1.1\r\n\r\n", l::kEnd));
  write("relay_link", "window", l::encode(l::FrameType::kWindow, 8, l::window_payload(65536)));
  write("relay_link", "reset", l::encode(l::FrameType::kReset, 9, R"({"code":"cancelled"})"));
  write("relay_link", "open", l::encode(l::FrameType::kOpen, 2, R"({"kind":"peer","to":"abc"})"));
  l::ControlAuth auth{"node-1", 1764500000, "n0nce", std::string(64, 'S')};
  write("relay_link", "control_auth", l::control_authorization(auth));
  quorum::auth::KeyEntry k{"3fZ9a0LmQ2xY", std::string(64, 'a'), {"m1", "m2"}, 1764500000, false};
  write("relay_link", "keys", quorum::auth::KeyBook::to_json({k, k}));
}

}  // namespace

// chunk_scan: one chunk's data. The shapes the pass-through path takes (llama-server's, vLLM's, a peer
// node's own) and some it must refuse.
void chunk_scan_seeds() {
  write("chunk_scan", "llama_role",
        "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":"
        "null}}],\"created\":1753357673,\"id\":\"chatcmpl-x1\",\"model\":\"tiny\",\"system_fingerprint\":"
        "\"b6123-abc\",\"object\":\"chat.completion.chunk\"}");
  write("chunk_scan", "llama_content",
        "{\"choices\":[{\"finish_reason\":null,\"index\":0,\"delta\":{\"content\":\" world\\n\\u00e9\"}}],"
        "\"created\":1753357673,\"id\":\"chatcmpl-x1\",\"model\":\"tiny\",\"object\":\"chat.completion."
        "chunk\"}");
  write("chunk_scan", "node_content",
        "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":"
        "\"tiny\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"h\xC3\xA9 \\ud83d\\ude42\"},"
        "\"logprobs\":null,\"finish_reason\":null}]}");
  write("chunk_scan", "node_finish",
        "{\"id\":\"chatcmpl-abc\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":"
        "\"tiny\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
  write("chunk_scan", "vllm_reasoning",
        "{\"id\":\"chatcmpl-v\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":null,"
        "\"reasoning\":\"The user\"},\"logprobs\":null,\"finish_reason\":null,\"stop_reason\":null}],"
        "\"usage\":null}");
  write("chunk_scan", "completion_text",
        "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,\"model\":\"m\",\"choices\":[{"
        "\"index\":1,\"text\":\"abc\",\"logprobs\":null,\"finish_reason\":\"length\"}]}");
  write("chunk_scan", "refused_lone_surrogate",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\\ud800x\"}}]}");
  write("chunk_scan", "refused_escaped_key",
        "{\"choices\":[{\"index\":0,\"delta\":{\"con\\u0074ent\":\"x\"}}]}");
  write("chunk_scan", "refused_usage",
        "{\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":3,\"total_tokens\":8}}");
  write("chunk_scan", "refused_cut_character",
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"lo \xF0\x9F\"}}]}");
}

// node_answer: a split step byte, then a node's answer as the relay reads it from a link stream.
void node_answer_seeds() {
  write("node_answer", "sse_chunked",
        std::string("\x03") +
            "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nX-Request-Id: r1\r\n"
            "Transfer-Encoding: chunked\r\n\r\n16\r\ndata: {\"choices\":[]}\n\n\r\n"
            "e\r\ndata: [DONE]\n\n\r\n0\r\n\r\n");
  write("node_answer", "json_length",
        std::string("\x00") +
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: 48\r\n\r\n"
            "{\"error\":{\"message\":\"busy\",\"code\":\"busy\"}}\n\n\n\n");
  write("node_answer", "until_close", std::string("\x07") + "HTTP/1.1 200 OK\r\n\r\nall of it");
  write("node_answer", "cut_chunk",
        std::string("\x01") + "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nshort");
}

// ui_request: a Host header, a newline, a request target: what the local UI's Host check and file paths read.
void ui_request_seeds() {
  write("ui_request", "root", "localhost:32768\n/");
  write("ui_request", "asset", "127.0.0.1\n/assets/index-1.js?v=1");
  write("ui_request", "events", "[::1]:80\n/api/ui/events");
  write("ui_request", "dots", "LOCALHOST.\n/assets/../index.html");
  write("ui_request", "evil", "evil.example\n/index.html");
}

// fuzz/dashboard.cpp's layout: flags, clock offset, edit (what, at, xor), then the lines Cookie, method,
// target, Content-Type, Origin, Sec-Fetch-Site, Host, X-Quorum-Mesh-From, X-Quorum-Mesh-Time,
// X-Quorum-Mesh-Signature, the mesh secret; then the body.
struct DashboardRequest {
  std::string cookie, method, target, content_type, origin, fetch_site, host, from, time, signature, secret,
      body;
};

void dashboard_seed(const std::string& name, uint8_t flags, int8_t clock, const DashboardRequest& r) {
  std::string s{static_cast<char>(flags), static_cast<char>(clock), '\x00', '\x05', '\x20'};
  for (const std::string* line : {&r.cookie, &r.method, &r.target, &r.content_type, &r.origin, &r.fetch_site,
                                  &r.host, &r.from, &r.time, &r.signature, &r.secret}) {
    s.append(*line).push_back('\n');
  }
  write("dashboard", name, s + r.body);
}

void dashboard_seeds() {
  const std::string session = "quorum_session=2b7f0c9e4a1d6f3850e2c7b9a4d1f6e3";
  dashboard_seed("key_create", 1, 0,
                 {"theme=dark; " + session + "; _ga=GA1.2.1", "POST", "/api/clusters/c1/keys",
                  "application/json", "https://relay.example", "same-origin", "relay.example", "", "", "", "",
                  R"({"name":"ci","models":["llama3","qwen3-0.6b"],"rpm":60,"tpm":100000,"max_parallel":2,)"
                  R"("expires_at":1800000000})"});
  dashboard_seed("key_revoke", 2, 0,
                 {session, "DELETE", "/api/clusters/c1/keys/k_3fZ9a0LmQ2xY", "", "http://127.0.0.1:8080", "",
                  "127.0.0.1:8080", "", "", "", "", ""});
  dashboard_seed(
      "cross_site_form", 0, 0,
      {session, "POST", "/api/clusters/c1/invites", "text/plain; charset=utf-8", "http://evil.example",
       "cross-site", "relay.example", "", "", "", "", R"({"role":"owner"})"});
  dashboard_seed("usage_quoted_cookie", 0, 0,
                 {"quorum_session_old=1;  quorum_session = \"abc_-9\" ", "GET",
                  "/api/clusters/c1/usage?from=2025-06-01&to=2025-06-30&limit=50", "", "", "same-origin",
                  "relay.example", "", "", "", "", ""});
  dashboard_seed("sign_in_link", 0, 0,
                 {"", "GET", "/api/session/link?x=1&token=qs_7Hk2&token=second", "", "", "none",
                  "relay.example", "", "", "", "", ""});
  dashboard_seed("control_keys_create", 0, 0,
                 {"", "POST", "/v1/relay/keys", "Application/JSON ; charset=utf-8", "", "", "127.0.0.1:7443",
                  "", "", "", "",
                  R"({"name":"ops","models":[1,"a",null,"b"],"rpm":-1,"tpm":"5",)"
                  R"("max_parallel":18446744073709551615,"expires_at":-1,"name":"ops2"})"});
  // Forwarded by another relay, signed by the code's own signer; received in time, then 61 s late.
  const std::string secret = "5c1e9a7f3b2d8e604a19c7b5e3d1f0a28c6e4b2d0f9a7c5e3b1d8f6a4c2e0b9d";
  const std::string body = R"({"name":"mesh","rpm":10})";
  const int64_t at = 1753357673;
  const std::string signature =
      quorum::relay::mesh_signature(secret, "POST", "/api/clusters/c1/keys", body, at, "relay-b");
  const DashboardRequest forwarded{session,
                                   "POST",
                                   "/api/clusters/c1/keys",
                                   "application/json",
                                   "https://relay-a.example",
                                   "",
                                   "relay-a.example",
                                   "relay-b",
                                   std::to_string(at),
                                   signature,
                                   secret,
                                   body};
  dashboard_seed("mesh_forwarded", 1, 0, forwarded);
  dashboard_seed("mesh_forwarded_late", 1, 61, forwarded);
  DashboardRequest zeros = forwarded;
  zeros.time = "000" + std::to_string(at);
  dashboard_seed("mesh_time_leading_zeros", 1, -60, zeros);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: fuzz_make_seeds DIR\n";
    return 2;
  }
  root = argv[1];
  dns_seeds();
  sse_seeds();
  engine_stream_seeds();
  chunk_scan_seeds();
  node_answer_seeds();
  request_seeds();
  engine_error_seeds();
  node_status_seeds();
  peer_proof_seeds();
  join_token_seeds();
  api_key_seeds();
  relay_link_seeds();
  gguf_seeds();
  http_seeds();
  ui_request_seeds();
  dashboard_seeds();
  return 0;
}
