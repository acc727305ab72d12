// A real PostgreSQL 15 for the tests, started in a temporary directory (initdb, then postgres listening only
// on a unix socket there: listen_addresses='') the first time a test asks for it, and stopped when the test
// program ends. As root (CI), initdb and postgres run as the `postgres` system user, which PostgreSQL needs.
// Each test gets a database of its own (fresh_database).
#pragma once

#include <string>

namespace quorum::relay::testing {

// The Debian package's programs.
inline constexpr const char* kPgBin = "/usr/lib/postgresql/15/bin";

// Whether the PostgreSQL programs are installed.
bool postgres_installed();
// The URL of a new, empty database on the test server (started on first use); "" with `why` set when it
// cannot start.
std::string fresh_database(std::string* why);
// How to start a server of one's own (the integration tests do it the same way): the socket directory of
// the running test server, or "".
std::string test_server_socket_dir();

}  // namespace quorum::relay::testing
