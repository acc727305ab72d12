// The `quorum-relay` program: `serve` runs the relay; the other commands manage its store (the operator's
// side of the control plane): SQLite in the data directory, or PostgreSQL (--database or
// QUORUM_RELAY_DATABASE); `migrate` copies the one into the other. It links neither llama.cpp nor the node.
#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <iostream>

#include "core/version.h"
#include "relay/password_hash.h"
#include "relay/relay_server.h"
#include "relay/store.h"
#include "relay/store_copy.h"
#include "relay/sync_store.h"

namespace {

std::string when(std::optional<int64_t> t) {
  if (!t) return "-";
  std::time_t tt = static_cast<std::time_t>(*t);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", std::gmtime(&tt));
  return buf;
}

std::unique_ptr<quorum::relay::SyncStore> open_store(const std::string& database, const std::string& dir) {
  auto store = quorum::relay::SyncStore::open(database, dir);
  if (!store) {
    std::cerr << "quorum-relay: cannot open "
              << (database.empty() ? dir : quorum::relay::redacted_database(database)) << ": "
              << store.error().message << "\n";
    std::exit(1);
  }
  return std::move(*store);
}

template <class T>
T or_exit(quorum::Result<T> r) {
  if (!r) {
    std::cerr << "quorum-relay: " << r.error().message << "\n";
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace quorum;
  CLI::App app{
      "quorum-relay: where Quorum nodes on different networks meet, and the cluster's one endpoint."};
  app.require_subcommand(1);
  app.set_version_flag("--version", quorum::version());
  std::string data_dir = "/var/lib/quorum-relay";

  relay::RelayConfig config;
  int drain = 30;
  size_t max_body_mb = 8;
  auto* serve = app.add_subcommand("serve", "Run the relay.");
  serve->add_option("--listen", config.listen, "Address to serve on (HOST:PORT)")->capture_default_str();
  serve->add_option("--data", data_dir, "The relay's data directory (SQLite)")->capture_default_str();
  serve->add_option("--drain-timeout", drain, "Seconds requests in flight get to finish at shutdown")
      ->capture_default_str();
  serve->add_option("--max-body-mb", max_body_mb, "Largest request body accepted, in MiB")
      ->capture_default_str();
  serve->add_option("--advertise", config.advertise,
                    "URL other relays sharing the database, and nodes told to move, reach this relay at "
                    "(default: http(s)://<listen>)");
  auto* tls_cert = serve->add_option("--tls-cert", config.tls_cert,
                                     "Serve TLS only (HTTPS, WSS) with this PEM certificate chain; SIGHUP "
                                     "reloads it");
  auto* tls_key = serve->add_option("--tls-key", config.tls_key, "The PEM private key of --tls-cert");
  tls_cert->needs(tls_key);
  tls_key->needs(tls_cert);

  auto* token = app.add_subcommand("token", "Enrolment tokens: one lets one cluster enrol.");
  token->require_subcommand(1);
  std::string note, token_id;
  auto* token_create = token->add_subcommand("create", "Make a token (printed once, as the last line).");
  token_create->add_option("--note", note, "What the token is for");
  token_create->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();
  auto* token_list = token->add_subcommand("list", "List tokens.");
  token_list->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();
  auto* token_revoke = token->add_subcommand("revoke", "Revoke an unused token.");
  token_revoke->add_option("ID", token_id)->required();
  token_revoke->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();

  std::string object_id;
  auto* clusters = app.add_subcommand("cluster", "Enrolled clusters.");
  clusters->require_subcommand(1);
  auto* cluster_list = clusters->add_subcommand("list", "List clusters and their nodes.");
  cluster_list->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();
  auto* cluster_revoke =
      clusters->add_subcommand("revoke", "Revoke a cluster: its nodes and keys stop at once.");
  cluster_revoke->add_option("ID", object_id)->required();
  cluster_revoke->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();
  auto* nodes = app.add_subcommand("node", "Enrolled nodes.");
  nodes->require_subcommand(1);
  auto* node_revoke = nodes->add_subcommand("revoke", "Revoke a node: its link is dropped at once.");
  node_revoke->add_option("ID", object_id)->required();
  node_revoke->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();

  std::string usage_cluster;
  auto* usage = app.add_subcommand("usage", "Usage per day, key, node and model (counts only).");
  usage->add_option("--cluster", usage_cluster, "The cluster (default: every cluster)");
  usage->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();

  std::string migrate_from, migrate_to;
  auto* migrate = app.add_subcommand(
      "migrate", "Copy a relay's SQLite database into an empty PostgreSQL database (docs/relay.md).");
  migrate->add_option("--from", migrate_from, "The data directory (its relay.db) or the SQLite file")
      ->required();
  migrate->add_option("--to", migrate_to, "The PostgreSQL database (postgres://…)")
      ->envname("QUORUM_RELAY_DATABASE")
      ->required();

  // The dashboard's accounts (docs/dashboard-api.md).
  std::string email, base_url, member_cluster, member_role;
  bool make_operator = false, password_stdin = false;
  int link_minutes = 15;
  std::string link_listen = "127.0.0.1:8443";
  auto* users = app.add_subcommand("user", "Dashboard users.");
  users->require_subcommand(1);
  auto* user_add = users->add_subcommand("add", "Add a user (a password from stdin, or sign-in links only).");
  user_add->add_option("EMAIL", email)->required();
  user_add->add_flag("--operator", make_operator, "An operator: owner of every cluster of this relay");
  user_add->add_flag("--password-stdin", password_stdin, "Read the password from the first line of stdin");
  auto* user_list = users->add_subcommand("list", "List users.");
  auto* user_remove = users->add_subcommand("remove", "Remove a user, their memberships and sessions.");
  user_remove->add_option("EMAIL", email)->required();
  auto* sign_in_link = app.add_subcommand("sign-in-link", "Print a one-time sign-in URL for a user.");
  sign_in_link->add_option("EMAIL", email)->required();
  sign_in_link->add_option("--base-url", base_url,
                           "The relay's URL as browsers reach it (default http://LISTEN)");
  sign_in_link->add_option("--listen", link_listen, "The relay's address, for the default base URL")
      ->capture_default_str();
  sign_in_link->add_option("--minutes", link_minutes, "How long the link is valid")->capture_default_str();
  auto* members = app.add_subcommand("member", "Cluster members (dashboard roles).");
  members->require_subcommand(1);
  auto* member_add = members->add_subcommand("add", "Give a user a role in a cluster.");
  member_add->add_option("--cluster", member_cluster, "The cluster id")->required();
  member_add->add_option("--email", email, "The user's email")->required();
  member_add->add_option("--role", member_role, "owner, admin or viewer")
      ->required()
      ->check(CLI::IsMember({"owner", "admin", "viewer"}));
  for (auto* command : {user_add, user_list, user_remove, sign_in_link, member_add}) {
    command->add_option("--data", data_dir, "The relay's data directory")->capture_default_str();
  }

  // Where the state is: SQLite in --data unless --database (or the environment, kept out of `ps`) names a
  // PostgreSQL database.
  std::string database;
  for (auto* command : {serve, token_create, token_list, token_revoke, cluster_list, cluster_revoke,
                        node_revoke, usage, user_add, user_list, user_remove, sign_in_link, member_add}) {
    command
        ->add_option("--database", database,
                     "PostgreSQL instead of SQLite in --data: postgres://USER@HOST/DB (or set "
                     "QUORUM_RELAY_DATABASE, which `ps` does not show)")
        ->envname("QUORUM_RELAY_DATABASE");
  }

  CLI11_PARSE(app, argc, argv);

  if (migrate->parsed()) {
    relay::SyncLoop loop;
    auto copied = loop.run(relay::copy_sqlite_to_postgres(migrate_from, migrate_to, loop.executor()));
    if (!copied) {
      std::cerr << "quorum-relay: " << copied.error().message << "\n";
      return 1;
    }
    int64_t total = 0;
    std::cout << "Copied into " << relay::redacted_database(migrate_to) << ":\n";
    for (const auto& [table, rows] : copied->tables) {
      std::cout << "  " << table << ": " << rows << " rows\n";
      total += rows;
    }
    std::cout << total << " rows in all. Start the relay with --database (or QUORUM_RELAY_DATABASE) now.\n";
    return 0;
  }

  if (serve->parsed()) {
    config.data_dir = data_dir;
    config.database = database;
    config.drain_timeout = std::chrono::seconds(drain);
    config.max_body_bytes = max_body_mb << 20;
    return relay::run_relay(config);
  }
  auto store = open_store(database, data_dir);
  if (token_create->parsed()) {
    const std::string text = or_exit(store->create_enrol_token(note));
    std::cout << "Enrolment token (shown once; give it to the cluster's first node: quorum relay join URL "
                 "TOKEN):\n"
              << text << "\n";
  } else if (token_list->parsed()) {
    for (const auto& t : or_exit(store->list_enrol_tokens())) {
      std::cout << t.id << "  created " << when(t.created_at) << "  used " << when(t.used_at) << "  cluster "
                << (t.cluster_id.empty() ? "-" : t.cluster_id) << "  revoked " << when(t.revoked_at) << "  "
                << t.note << "\n";
    }
  } else if (token_revoke->parsed()) {
    if (!or_exit(store->revoke_enrol_token(token_id))) {
      std::cerr << "quorum-relay: no token " << token_id << "\n";
      return 1;
    }
  } else if (cluster_list->parsed()) {
    for (const auto& c : or_exit(store->list_clusters())) {
      std::cout << c.id << "  " << c.name << "  enrolled " << when(c.created_at) << "  revoked "
                << when(c.revoked_at) << "\n";
      for (const auto& n : or_exit(store->nodes_of(c.id))) {
        std::cout << "  node " << n.id << "  " << n.name << "  last seen " << when(n.last_seen_at)
                  << "  revoked " << when(n.revoked_at) << "\n";
      }
    }
  } else if (cluster_revoke->parsed()) {
    if (!or_exit(store->revoke_cluster(object_id))) {
      std::cerr << "quorum-relay: no cluster " << object_id << "\n";
      return 1;
    }
  } else if (node_revoke->parsed()) {
    if (!or_exit(store->revoke_node(object_id))) {
      std::cerr << "quorum-relay: no node " << object_id << "\n";
      return 1;
    }
  } else if (user_add->parsed()) {
    std::string hash;
    if (password_stdin) {
      std::string password;
      std::getline(std::cin, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      hash = or_exit(relay::password::hash(password));
    }
    auto added = or_exit(store->add_user(email, hash, make_operator));
    if (!added) {
      std::cerr << "quorum-relay: a user with the email " << email << " exists\n";
      return 1;
    }
    std::cout << "User " << added->email << " (" << added->id << ")"
              << (added->is_operator ? ", operator" : "")
              << (hash.empty() ? ": no password; sign in with quorum-relay sign-in-link" : "") << "\n";
  } else if (user_list->parsed()) {
    for (const auto& u : or_exit(store->list_users())) {
      std::cout << u.id << "  " << u.email << "  " << (u.is_operator ? "operator" : "-") << "  "
                << (u.password_hash.empty() ? "no password" : "password") << "  created "
                << when(u.created_at) << "\n";
    }
  } else if (user_remove->parsed()) {
    auto user = or_exit(store->user_by_email(email));
    if (!user || !or_exit(store->remove_user(user->id))) {
      std::cerr << "quorum-relay: no user " << email << "\n";
      return 1;
    }
  } else if (sign_in_link->parsed()) {
    auto user = or_exit(store->user_by_email(email));
    if (!user) {
      std::cerr << "quorum-relay: no user " << email << " (quorum-relay user add)\n";
      return 1;
    }
    if (link_minutes < 1 || link_minutes > 24 * 60) {
      std::cerr << "quorum-relay: --minutes is 1 to 1440\n";
      return 2;
    }
    const std::string token =
        or_exit(store->create_sign_in_link(user->id, relay::unix_now() + int64_t{link_minutes} * 60));
    std::string base = base_url.empty() ? "http://" + link_listen : base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    std::cout << "One-time sign-in link for " << user->email << " (valid " << link_minutes << " min):\n"
              << base << "/api/session/link?token=" << token << "\n";
  } else if (member_add->parsed()) {
    auto user = or_exit(store->user_by_email(email));
    if (!user) {
      std::cerr << "quorum-relay: no user " << email << " (quorum-relay user add)\n";
      return 1;
    }
    const relay::Role role = *relay::parse_role(member_role);
    if (auto set = store->set_member(member_cluster, user->id, role); !set) {
      std::cerr << "quorum-relay: " << set.error().message << "\n";
      return 1;
    }
    relay::AuditEntry entry;
    entry.cluster_id = member_cluster;
    entry.actor = "cli";
    entry.action = "member.add";
    entry.object = user->id;
    entry.detail = boost::json::serialize(boost::json::object{{"email", user->email}, {"role", member_role}});
    (void)store->add_audit(entry);
    std::cout << user->email << " is " << member_role << " of cluster " << member_cluster << "\n";
  } else if (usage->parsed()) {
    std::cout << "day         cluster           key            node              model  requests  failed  "
                 "prompt  completion\n";
    for (const auto& c : or_exit(store->list_clusters())) {
      if (!usage_cluster.empty() && c.id != usage_cluster) continue;
      for (const auto& r : or_exit(store->usage(c.id, "0000-00-00", "9999-99-99"))) {
        std::cout << r.day << "  " << r.cluster_id << "  " << (r.key_id.empty() ? "-" : r.key_id) << "  "
                  << r.node_id << "  " << r.model << "  " << r.requests << "  " << r.failed << "  "
                  << r.prompt_tokens << "  " << r.completion_tokens << "\n";
      }
    }
  }
  return 0;
}
