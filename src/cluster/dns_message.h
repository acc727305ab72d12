// A pure DNS message codec (RFC 1035) with the multicast DNS twists (RFC 6762) that DNS-SD service discovery
// (RFC 6763) needs to announce and browse `_quorum._tcp.local`. No sockets, no I/O, no global state.
//
// Names are text, dotted, without the trailing dot ("node-1._quorum._tcp.local"; the root is ""). A label
// may hold any byte; a literal '.' or '\' inside a label is written "\." or "\\" (RFC 6763 section 4.3), so
// an instance name such as "Lab 2.1" is "Lab 2\.1._quorum._tcp.local". Names compare case-insensitively
// (ASCII only), as DNS does: use same_name().
//
// decode() reads whatever arrives on the LAN, so it trusts nothing: it never reads outside the buffer, never
// loops without bound, and allocates in proportion to the buffer's size, never from a count field alone.
// Anything malformed (truncated header or record, an rdlength past the end or not matching its rdata, a label
// over 63 bytes, a name over 255 bytes, a compression pointer that does not point before the run of labels it
// ends (so pointers cannot loop), counts larger than the packet could hold, a reserved label type) makes the
// whole message an error, code "dns_malformed".
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace quorum::cluster::dns {

// Any 16-bit value is a valid Type; the named ones are those this codec understands.
enum class Type : uint16_t { A = 1, PTR = 12, TXT = 16, AAAA = 28, SRV = 33, ANY = 255 };

// Every question and record is class IN. decode() drops questions whose class is neither IN nor ANY, and
// records whose class is not IN (there are none in mDNS in practice).
struct Question {
  std::string name;
  Type type = Type::PTR;
  bool unicast_response = false;  // the mDNS QU bit: the top bit of the qclass (RFC 6762 section 5.4)

  bool operator==(const Question&) const = default;
};

struct Record {
  std::string name;
  Type type = Type::A;
  bool cache_flush = false;  // the mDNS cache-flush bit: the top bit of the rrclass (RFC 6762 section 10.2)
  uint32_t ttl = 120;        // seconds; 0 is a goodbye (RFC 6762 section 10.1)

  // The rdata. Exactly one group is meaningful, chosen by `type`; the others are ignored when encoding and
  // left empty when decoding.
  std::string target;                           // PTR: the instance name; SRV: the host name
  uint16_t priority = 0, weight = 0, port = 0;  // SRV
  std::vector<std::string> txt;                 // TXT: "key=value" strings, each at most 255 bytes
  std::array<uint8_t, 4> ipv4{};                // A
  std::array<uint8_t, 16> ipv6{};               // AAAA
  // Every other type (NSEC, HINFO, ...): the rdata bytes exactly as they are on the wire. decode() keeps such
  // records rather than dropping them; any names inside are not decompressed, so they are only meaningful
  // when they hold no compression pointers. encode() writes them back verbatim.
  std::vector<uint8_t> rdata;

  bool operator==(const Record&) const = default;
};

struct Message {
  uint16_t id = 0;  // 0 in mDNS
  bool response = false;
  bool authoritative = false;  // mDNS responses set it
  std::vector<Question> questions;
  std::vector<Record> answers, authorities, additionals;

  bool operator==(const Message&) const = default;  // exact: names compare case-sensitively here
};

// The wire form of `message`, every name (owner names and the names in PTR and SRV rdata) compressed against
// the names and suffixes written before it, matched exactly: decode(encode(m)) == m, case included, when the
// rdata fields that m's records do not use are left at their defaults.
// Opcode, rcode and the other header flags are zero. An error (code "dns_invalid") for a name that cannot be
// encoded (an empty label, a label over 63 bytes, a name over 255 bytes, a dangling '\'), a TXT string over
// 255 bytes, raw rdata over 65535 bytes or more than 65535 entries in a section. Keeping the message within
// the link's MTU is the caller's business.
Result<std::vector<uint8_t>> encode(const Message& message);

// The message in `packet`, or an error (code "dns_malformed") for anything malformed, as described at the
// top. A TXT record's rdata of zero bytes, or of one empty string, decodes as an empty `txt`, the form
// encode() writes for an empty `txt` (RFC 6763 section 6.1). Messages with a non-zero opcode or rcode are
// errors too, since mDNS ignores them (RFC 6762 section 18.3 and 18.11). The truncation bit, and any bytes
// after the last record, are ignored.
Result<Message> decode(std::span<const uint8_t> packet);

// Names equal under DNS rules: ASCII letters compared case-insensitively, every other byte exactly.
bool same_name(std::string_view a, std::string_view b);

// The key/value pairs of TXT strings (RFC 6763 section 6): the key is what precedes the first '='
// (lowercased, as keys are case-insensitive), the value what follows it; a string without '=' is a key with
// an empty value; a string with an empty key is skipped; when a key repeats, the first one wins.
std::map<std::string, std::string> parse_txt(const std::vector<std::string>& txt);

}  // namespace quorum::cluster::dns
