#include "relay/pg.h"

#include <libpq-fe.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <limits>

#include "core/hex_digit.h"

namespace quorum::relay::pg {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Clock = std::chrono::steady_clock;

namespace {

ApiError unavailable(std::string_view why) {
  return ApiError::server(503, "relay database unavailable: " + std::string(why), "database_unavailable");
}

ApiError failed(std::string_view why) {
  return ApiError::server(500, "relay database: " + std::string(why), "database_error");
}

// libpq's messages end with a newline.
std::string message_of(const PGconn* conn) {
  std::string m = PQerrorMessage(conn);
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m.empty() ? "unknown error" : m;
}

// Notices ("… already exists, skipping") are not the relay's log.
void ignore_notice(void* /*arg*/, const char* /*message*/) {}

enum class Ready { yes, timed_out, failed };

// Waits until `sd` is readable (or writable), or the deadline passes.
Task<Ready> wait_on(asio::posix::stream_descriptor& sd, bool write, Clock::time_point deadline) {
  asio::steady_timer timer(sd.get_executor());
  timer.expires_at(deadline);
  const auto kind =
      write ? asio::posix::stream_descriptor::wait_write : asio::posix::stream_descriptor::wait_read;
  auto which = co_await (sd.async_wait(kind, asio::as_tuple(asio::use_awaitable)) ||
                         timer.async_wait(asio::as_tuple(asio::use_awaitable)));
  if (which.index() == 1) co_return Ready::timed_out;
  co_return std::get<0>(std::get<0>(which)) ? Ready::failed : Ready::yes;
}

// The same for a descriptor libpq owns while it connects (it may change between polls): borrowed, released,
// never closed.
Task<Ready> wait_fd(asio::any_io_executor executor, int fd, bool write, Clock::time_point deadline) {
  asio::posix::stream_descriptor sd(executor);
  boost::system::error_code ec;
  sd.assign(fd, ec);
  if (ec) co_return Ready::failed;
  const Ready ready = co_await wait_on(sd, write, deadline);
  sd.release();
  co_return ready;
}

std::string waited(Ready ready, std::string_view what) {
  return ready == Ready::timed_out ? "no answer to " + std::string(what) + " in time"
                                   : "cannot wait on the connection's socket";
}

std::optional<std::string> cell(const Row& row, int column) {
  if (column < 0 || static_cast<size_t>(column) >= row.cells.size()) return std::nullopt;
  return row.cells[static_cast<size_t>(column)];
}

}  // namespace

Param param(std::string_view text) {
  return std::string(text);
}
Param param(Bytes bytes) {
  return bytes;
}
Param param(int64_t value) {
  return value;
}
Param param(uint64_t value) {
  const auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  return static_cast<int64_t>(value > max ? max : value);
}
Param param(int value) {
  return static_cast<int64_t>(value);
}
Param param(std::optional<int64_t> value) {
  if (!value) return Null{};
  return *value;
}

std::string text_array(const std::vector<std::string_view>& values) {
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  out += '}';
  return out;
}

std::string integer_array(const std::vector<uint64_t>& values) {
  const auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += std::to_string(values[i] > max ? max : values[i]);
  }
  out += '}';
  return out;
}

int64_t Row::integer(int column) const {
  return optional_integer(column).value_or(0);
}

std::optional<int64_t> Row::optional_integer(int column) const {
  auto c = cell(*this, column);
  if (!c) return std::nullopt;
  int64_t v = 0;
  std::from_chars(c->data(), c->data() + c->size(), v);
  return v;
}

std::string Row::text(int column) const {
  return cell(*this, column).value_or("");
}

std::string Row::blob(int column) const {
  const std::string hex = text(column);
  if (hex.size() < 2 || hex[0] != '\\' || hex[1] != 'x') return "";
  std::string out;
  out.reserve((hex.size() - 2) / 2);
  for (size_t i = 2; i + 1 < hex.size(); i += 2) {
    const int hi = hex_value(hex[i]);
    const int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0) return "";
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

bool Row::boolean(int column) const {
  return text(column) == "t";
}

// ---- Connection ----

struct Connection::Io {
  asio::posix::stream_descriptor socket;
  explicit Io(const asio::any_io_executor& executor) : socket(executor) {}
};

Connection::Connection(pg_conn* conn, std::unique_ptr<Io> io) : conn_(conn), io_(std::move(io)) {}

Connection::~Connection() {
  if (io_ && io_->socket.is_open()) io_->socket.release();  // libpq closes its socket
  PQfinish(conn_);
}

Task<Result<std::unique_ptr<Connection>>> Connection::connect(asio::any_io_executor executor,
                                                              std::string conninfo) {
  PGconn* conn = PQconnectStart(conninfo.c_str());
  if (conn == nullptr) co_return unavailable("out of memory");
  struct Closer {
    PGconn* conn;
    ~Closer() {
      if (conn != nullptr) PQfinish(conn);
    }
  } closer{conn};
  if (PQstatus(conn) == CONNECTION_BAD) co_return unavailable(message_of(conn));
  PQsetNoticeProcessor(conn, ignore_notice, nullptr);
  const auto deadline = Clock::now() + kConnectTimeout;
  // The socket may change between polls (libpq tries the next address): it is looked up on each.
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED) co_return unavailable(message_of(conn));
    const Ready ready = co_await wait_fd(executor, PQsocket(conn), poll == PGRES_POLLING_WRITING, deadline);
    if (ready == Ready::timed_out)
      co_return unavailable("no connection within " + std::to_string(kConnectTimeout.count()) + " s");
    if (ready == Ready::failed) co_return unavailable("cannot wait on the connection's socket");
    poll = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) co_return unavailable(message_of(conn));
  auto io = std::make_unique<Io>(executor);
  boost::system::error_code ec;
  io->socket.assign(PQsocket(conn), ec);
  if (ec) co_return unavailable("cannot watch the connection's socket: " + ec.message());
  closer.conn = nullptr;
  co_return std::unique_ptr<Connection>(new Connection(conn, std::move(io)));
}

bool Connection::broken() const {
  return broken_ || PQstatus(conn_) != CONNECTION_OK;
}

bool Connection::alive() {
  if (!broken() && PQconsumeInput(conn_) == 0) broken_ = true;
  return !broken();
}

bool Connection::in_transaction() const {
  return PQtransactionStatus(conn_) != PQTRANS_IDLE;
}

Task<Result<Rows>> Connection::query(std::string sql, std::vector<Param> params) {
  if (broken()) co_return unavailable("the connection was lost");
  // Text for every parameter but bytea, sent as raw bytes (binary format).
  std::vector<std::string> texts(params.size());
  std::vector<const char*> values(params.size(), nullptr);
  std::vector<int> lengths(params.size(), 0);
  std::vector<int> formats(params.size(), 0);
  for (size_t i = 0; i < params.size(); ++i) {
    if (auto* s = std::get_if<std::string>(&params[i])) {
      values[i] = s->c_str();
    } else if (auto* b = std::get_if<Bytes>(&params[i])) {
      values[i] = b->bytes.data();
      lengths[i] = static_cast<int>(b->bytes.size());
      formats[i] = 1;
    } else if (auto* n = std::get_if<int64_t>(&params[i])) {
      texts[i] = std::to_string(*n);
      values[i] = texts[i].c_str();
    }
  }
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(params.size()), nullptr, values.data(),
                        lengths.data(), formats.data(), 0) == 0) {
    broken_ = PQstatus(conn_) != CONNECTION_OK;
    co_return broken_ ? unavailable(message_of(conn_)) : failed(message_of(conn_));
  }
  co_return co_await finish("a statement");
}

Task<Status> Connection::script(std::string sql) {
  if (broken()) co_return unavailable("the connection was lost");
  if (PQsendQuery(conn_, sql.c_str()) == 0) {
    broken_ = PQstatus(conn_) != CONNECTION_OK;
    co_return broken_ ? unavailable(message_of(conn_)) : failed(message_of(conn_));
  }
  auto done = co_await finish("statements");
  if (!done) co_return done.take_error();
  co_return Ok{};
}

// Sends what libpq still holds, then reads every result of the statement(s) sent. The first error wins.
Task<Result<Rows>> Connection::finish(std::string_view what) {
  const auto deadline = Clock::now() + kQueryTimeout;
  auto lost = [&](const std::string& why) {
    broken_ = true;
    return unavailable(why);
  };
  for (;;) {
    const int flushed = PQflush(conn_);
    if (flushed == 0) break;
    if (flushed < 0) co_return lost(message_of(conn_));
    const Ready ready = co_await wait_on(io_->socket, true, deadline);
    if (ready != Ready::yes) co_return lost(waited(ready, what));
    if (PQconsumeInput(conn_) == 0) co_return lost(message_of(conn_));
  }
  Rows rows;
  std::optional<ApiError> error;
  for (;;) {
    if (PQconsumeInput(conn_) == 0) co_return lost(message_of(conn_));
    bool done = false;
    while (PQisBusy(conn_) == 0) {
      PGresult* res = PQgetResult(conn_);
      if (res == nullptr) {
        done = true;
        break;
      }
      const ExecStatusType status = PQresultStatus(res);
      if (status == PGRES_TUPLES_OK || status == PGRES_COMMAND_OK) {
        if (!error) {
          rows = Rows{};
          const int n = PQntuples(res);
          const int columns = PQnfields(res);
          rows.rows.reserve(static_cast<size_t>(n));
          for (int r = 0; r < n; ++r) {
            Row row;
            row.cells.reserve(static_cast<size_t>(columns));
            for (int c = 0; c < columns; ++c) {
              if (PQgetisnull(res, r, c) != 0) {
                row.cells.emplace_back(std::nullopt);
              } else {
                row.cells.emplace_back(
                    std::string(PQgetvalue(res, r, c), static_cast<size_t>(PQgetlength(res, r, c))));
              }
            }
            rows.rows.push_back(std::move(row));
          }
          const char* tuples = PQcmdTuples(res);
          rows.affected = (tuples != nullptr && *tuples != '\0') ? std::stoll(tuples) : 0;
        }
      } else if (!error) {
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        const std::string sqlstate = state != nullptr ? state : "";
        const char* primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        const std::string message = primary != nullptr ? primary : message_of(conn_);
        // Class 08 (connection exception) and 57P (the server shutting down): for now, not for good.
        if (PQstatus(conn_) != CONNECTION_OK || sqlstate.starts_with("08") || sqlstate.starts_with("57P")) {
          broken_ = true;
          error = unavailable(message);
        } else {
          std::string described = message;
          if (!sqlstate.empty()) described += " (SQLSTATE " + sqlstate + ")";
          error = failed(described);
        }
      }
      PQclear(res);
    }
    if (done) break;
    if (PQstatus(conn_) != CONNECTION_OK) co_return lost(message_of(conn_));
    const Ready ready = co_await wait_on(io_->socket, false, deadline);
    if (ready != Ready::yes) co_return lost(waited(ready, what));
  }
  if (error) co_return *error;
  co_return rows;
}

// ---- Pool ----

Lease::~Lease() {
  if (!conn_) return;
  auto pool = pool_.lock();
  if (!pool) return;  // the pool is gone: conn_ closes with the lease
  try {
    (*pool)->give_back(std::move(conn_));
  } catch (...) {  // cancelling the waiters' timer failed: nothing more to do here
  }
}

Pool::Pool(const asio::any_io_executor& executor, std::string conninfo, size_t size)
    : executor_(executor),
      conninfo_(std::move(conninfo)),
      size_(size == 0 ? 1 : size),
      available_(executor),
      self_(std::make_shared<Pool*>(this)) {
  available_.expires_at(asio::steady_timer::time_point::max());
}

Pool::~Pool() = default;

Task<Result<Lease>> Pool::acquire() {
  for (;;) {
    if (!idle_.empty()) {
      auto conn = std::move(idle_.front());
      idle_.pop_front();
      if (!conn->alive()) {  // lost while idle (the server restarted): open another
        --open_;
        continue;
      }
      co_return Lease(self_, std::move(conn));
    }
    if (open_ < size_) {
      ++open_;
      auto conn = co_await Connection::connect(executor_, conninfo_);
      if (!conn) {
        --open_;
        available_.cancel_one();
        co_return conn.take_error();
      }
      co_return Lease(self_, std::move(*conn));
    }
    co_await available_.async_wait(asio::as_tuple(asio::use_awaitable));
  }
}

Task<Result<Rows>> Pool::query(std::string sql, std::vector<Param> params) {
  auto lease = co_await acquire();
  if (!lease) co_return lease.take_error();
  co_return co_await (*lease)->query(std::move(sql), std::move(params));
}

void Pool::give_back(std::unique_ptr<Connection> conn) {
  // A connection left inside a transaction (a call that ended early) is closed: that rolls it back.
  if (conn->broken() || conn->in_transaction()) {
    --open_;
    conn.reset();
  } else {
    try {
      idle_.push_back(std::move(conn));
    } catch (...) {  // out of memory: closed instead of kept
      --open_;
    }
  }
  available_.cancel_one();
}

}  // namespace quorum::relay::pg
