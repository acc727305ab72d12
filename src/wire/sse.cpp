#include "wire/sse.h"

#include "core/spare_room.h"
#include "wire/byte_scan.h"

namespace quorum::wire {

std::string sse_data(std::string_view payload) {
  std::string out;
  out.reserve(payload.size() + 8);
  out += "data: ";
  out += payload;
  out += "\n\n";
  return out;
}

std::string sse_comment(std::string_view text) {
  std::string out = ": ";
  out += text;
  out += "\n\n";
  return out;
}

bool is_done_sentinel(std::string_view data) {
  while (!data.empty() && (data.front() == ' ' || data.front() == '\t')) data.remove_prefix(1);
  while (!data.empty() &&
         (data.back() == ' ' || data.back() == '\t' || data.back() == '\r' || data.back() == '\n')) {
    data.remove_suffix(1);
  }
  return data == "[DONE]";
}

void SseDecoder::overflow() {
  overflowed_ = true;
  std::string().swap(partial_);
  pending_ = SseEvent{};
  have_data_ = have_event_ = have_error_ = false;
}

void SseDecoder::feed(std::string_view bytes, std::vector<SseEvent>& out) {
  struct ToVector final : Sink {
    explicit ToVector(std::vector<SseEvent>& v) : events(v) {}
    void on_event(SseEvent& event) override { events.push_back(std::move(event)); }
    std::vector<SseEvent>& events;
  } sink(out);
  feed(bytes, sink);
}

void SseDecoder::feed(std::string_view bytes, Sink& out) {
  if (overflowed_) return;
  feed_lines(bytes, out);
  // Between two reads, the room of an event that is not under way goes back to the thread.
  if (!have_data_) give_room(pending_.data);
  if (!have_event_) give_room(pending_.event);
  if (!have_error_) give_room(pending_.error);
}

void SseDecoder::feed_lines(std::string_view bytes, Sink& out) {
  size_t start = 0;
  if (last_was_cr_ && !bytes.empty() && bytes.front() == '\n') start = 1;  // the LF of a CRLF split in two
  last_was_cr_ = false;
  for (;;) {
    if (offer_views_ && partial_.empty() && !have_data_ && !have_event_ && !have_error_) {
      start = offer_data_events(bytes, start, out);
    }
    size_t i = find_line_end(bytes, start);
    if (i == std::string_view::npos) break;
    if (partial_.size() + (i - start) > kMaxEventBytes) return overflow();
    if (partial_.empty()) {
      line(bytes.substr(start, i - start), out);  // a whole line in this piece: no copy
    } else {
      partial_.append(bytes.substr(start, i - start));
      line(partial_, out);
      std::string().swap(partial_);  // a line cut by a read is rare: its room is not kept
    }
    if (overflowed_) return;
    if (bytes[i] == '\r') {
      if (i + 1 < bytes.size()) {
        if (bytes[i + 1] == '\n') ++i;
      } else {
        last_was_cr_ = true;
      }
    }
    start = i + 1;
  }
  if (partial_.size() + (bytes.size() - start) > kMaxEventBytes) return overflow();
  partial_.append(bytes.substr(start));
}

size_t SseDecoder::offer_data_events(std::string_view bytes, size_t start, Sink& out) {
  constexpr std::string_view kField = "data:";
  while (bytes.size() - start > kField.size() && bytes.compare(start, kField.size(), kField) == 0) {
    const size_t end = find_line_end(bytes, start + kField.size());
    // Only "\n\n" ends it here; anything else (CR, another field, a line over the limit, an event cut by
    // the read) is the line-by-line path's.
    if (end == std::string_view::npos || bytes[end] != '\n' || end + 1 >= bytes.size() ||
        bytes[end + 1] != '\n' || end - start > kMaxEventBytes) {
      break;
    }
    std::string_view value = bytes.substr(start + kField.size(), end - start - kField.size());
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (value.size() + 1 > kMaxEventBytes) break;
    if (!out.on_data(value)) {
      offer_views_ = false;
      break;
    }
    start = end + 2;
  }
  return start;
}

void SseDecoder::line(std::string_view text, Sink& out) {
  if (text.empty()) {
    if (have_data_ || have_event_ || have_error_) out.on_event(pending_);
    pending_.event.clear();
    pending_.data.clear();
    pending_.error.clear();
    have_data_ = have_event_ = have_error_ = false;
    return;
  }
  if (text.front() == ':') return;  // comment
  auto colon = text.find(':');
  std::string_view field = text.substr(0, colon);
  std::string_view value;
  if (colon != std::string_view::npos) {
    value = text.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  }
  if (field == "data") {
    // An event is capped whole, however many `data:` lines it is made of.
    if (pending_.data.size() + value.size() + 1 > kMaxEventBytes) return overflow();
    if (have_data_) {
      pending_.data += '\n';
    } else {
      take_room(pending_.data);  // the room a data field had before, given back between reads
    }
    pending_.data.append(value);
    have_data_ = true;
  } else if (field == "event") {
    pending_.event.assign(value);
    have_event_ = true;
  } else if (field == "error") {
    // llama.cpp before late 2024: `error: {"code":500,"message":"…","type":"server_error"}`, then a blank
    // line.
    if (value.size() > kMaxEventBytes) return overflow();
    pending_.error.assign(value);
    have_error_ = true;
  }
  // id, retry and unknown fields are ignored.
}

bool SseDecoder::has_pending() const {
  return !partial_.empty() || have_data_ || have_event_ || have_error_;
}

void LineSplitter::feed(std::string_view bytes, std::vector<std::string>& out) {
  if (overflowed_) return;
  size_t start = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != '\n') continue;
    if (partial_.size() + (i - start) > kMaxEventBytes + 1) {  // + 1: the '\r' of a CRLF
      overflowed_ = true;
      std::string().swap(partial_);
      return;
    }
    partial_.append(bytes.substr(start, i - start));
    if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
    if (!partial_.empty()) out.push_back(std::move(partial_));
    partial_.clear();
    start = i + 1;
  }
  if (partial_.size() + (bytes.size() - start) > kMaxEventBytes + 1) {
    overflowed_ = true;
    std::string().swap(partial_);
    return;
  }
  partial_.append(bytes.substr(start));
}

std::string LineSplitter::take_rest() {
  std::string rest = std::move(partial_);
  partial_.clear();
  if (!rest.empty() && rest.back() == '\r') rest.pop_back();
  return rest;
}

}  // namespace quorum::wire
