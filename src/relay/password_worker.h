// The dashboard's password work (password_hash.h) off the relay's event loop. An argon2id hash or check takes
// about 0.1 s and 64 MiB: on the loop, every sign-in would stall every stream the relay carries for that
// long. Here it runs on one worker thread for the whole process, so at most one hash's memory is in use at a
// time and a burst of sign-ins queues there, never on the loop; each call resumes on the caller's executor.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <string>

#include "core/result.h"

namespace quorum::relay::password {

// verify() on the worker.
boost::asio::awaitable<bool> verify_off_loop(std::string stored, std::string password);
// verify_dummy() on the worker.
boost::asio::awaitable<void> verify_dummy_off_loop(std::string password);
// hash() on the worker (acceptable() is checked first, on the caller's thread: 400 without waiting).
boost::asio::awaitable<Result<std::string>> hash_off_loop(std::string password);

}  // namespace quorum::relay::password
