#include "cli/cluster_commands.h"

#include <unistd.h>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fstream>
#include <iostream>

#include "cluster/membership.h"
#include "cluster/pasted_token.h"

namespace quorum::cli {

namespace {

int fail(const std::string& message) {
  std::cerr << "error: " << message << "\n";
  return 1;
}

// A join token is about 100 characters; a line longer than this is not one (and is not read whole).
constexpr std::streamsize kMaxTokenLine = 4096;

// The first line of `in`, at most kMaxTokenLine characters; false when there is none or it is longer.
bool read_token_line(std::istream& in, std::string& line) {
  std::string buffer(kMaxTokenLine + 1, '\0');
  in.getline(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  if (in.fail() && (in.gcount() == 0 || in.gcount() >= kMaxTokenLine)) return false;
  line.assign(buffer.c_str());
  return true;
}

}  // namespace

int run_cluster_init(const std::string& state_dir, bool force) {
  auto identity = cluster::load_or_create_identity(state_dir);
  if (!identity) return fail(identity.error().message);
  auto existing = cluster::load_membership(state_dir);
  if (!existing) return fail(existing.error().message);
  if (existing.value() && !force) {
    return fail("this node already belongs to cluster " + existing.value()->cluster_id +
                "; `quorum cluster show --show-secret` prints its join token, --force creates a new cluster");
  }
  auto m = cluster::new_cluster();
  auto saved = cluster::save_membership(state_dir, m);
  if (!saved) return fail(saved.error().message);
  std::cout
      << "Created cluster " << m.cluster_id << " with node '" << identity->name << "' (" << identity->id
      << ").\nOn each other machine, run: quorum cluster join TOKEN\nwith this token (keep it secret: it "
         "lets a machine into the cluster):\n"
      << cluster::encode_join_token(m) << "\n";
  return 0;
}

int run_cluster_join(const std::string& state_dir, const std::string& token_arg,
                     const std::string& token_file) {
  std::string token = token_arg;
  if (!token_file.empty()) {
    if (!token.empty())
      return fail("give the join token either as an argument or with --token-file, not both");
    std::ifstream in(token_file);
    if (!in || !read_token_line(in, token)) return fail("cannot read a join token from " + token_file);
  } else if (token.empty() || token == "-") {
    if (isatty(STDIN_FILENO))
      std::cerr << "Paste the join token (from `quorum cluster init`) and press Enter: ";
    if (!read_token_line(std::cin, token)) return fail("no join token on standard input");
  }
  auto m = cluster::decode_join_token(cluster::trim_pasted_token(token));
  if (!m) return fail(m.error().message);
  auto identity = cluster::load_or_create_identity(state_dir);
  if (!identity) return fail(identity.error().message);
  auto saved = cluster::save_membership(state_dir, *m);
  if (!saved) return fail(saved.error().message);
  std::cout << "Node '" << identity->name << "' (" << identity->id << ") joined cluster " << m->cluster_id
            << ". Restart the node for it to take effect.\n";
  return 0;
}

int run_cluster_show(const std::string& state_dir, bool show_secret, bool json) {
  auto identity = cluster::load_or_create_identity(state_dir);
  if (!identity) return fail(identity.error().message);
  auto m = cluster::load_membership(state_dir);
  if (!m) return fail(m.error().message);
  if (json) {
    boost::json::object o{{"node_id", identity->id}, {"name", identity->name}};
    if (m.value()) {
      o["cluster_id"] = m.value()->cluster_id;
      o["fingerprint"] = m.value()->fingerprint();
      if (show_secret) o["join_token"] = cluster::encode_join_token(*m.value());
    } else {
      o["cluster_id"] = nullptr;
    }
    std::cout << boost::json::serialize(o) << "\n";
    return 0;
  }
  std::cout << "node:        " << identity->name << " (" << identity->id << ")\n";
  if (!m.value()) {
    std::cout
        << "cluster:     none (`quorum cluster init` creates one, `quorum cluster join TOKEN` joins one)\n";
    return 0;
  }
  std::cout << "cluster:     " << m.value()->cluster_id << "\nfingerprint: " << m.value()->fingerprint()
            << "\n";
  if (show_secret) std::cout << "join token:  " << cluster::encode_join_token(*m.value()) << "\n";
  return 0;
}

}  // namespace quorum::cli
