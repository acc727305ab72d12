// What keeps web pages from borrowing loopback trust: foreign and opaque origins, Host names of other
// domains (DNS rebinding), and POST bodies a page can send without a CORS preflight.
#include "node/api/browser_guard.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace quorum::node::api {
namespace {

constexpr unsigned short kPort = 32768;

// The refusal's wire shape: `status`, an invalid_request_error, `code`.
void expect_refusal(const ApiError& e, int status, const char* code) {
  EXPECT_EQ(e.status, status);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(e.code, code);
}

std::vector<std::string> names() {
  return own_host_names("Lab-Box", "0123abcd.local", {"127.0.0.1", "192.168.1.20", "fe80::1"});
}

TEST(BrowserGuard, NoOriginAndPagesOnLoopbackNamesAreAllowed) {
  for (const char* origin :
       {"", "http://localhost:3000", "https://localhost", "http://127.0.0.1:8080", "http://[::1]:5173"}) {
    EXPECT_TRUE(origin_allowed(origin)) << origin;
  }
}

TEST(BrowserGuard, OpaqueAndForeignOriginsAreRefused) {
  // "null": sandboxed iframes, data: and file: pages.
  for (const char* origin : {"null", "https://evil.example", "http://localhost.evil.example",
                             "http://127.0.0.1.nip.io", "file://"}) {
    EXPECT_FALSE(origin_allowed(origin)) << origin;
  }
}

TEST(BrowserGuard, TheRefusedOriginIsA403NamingTheOpaqueOriginCase) {
  ApiError opaque = forbidden_origin("null");
  expect_refusal(opaque, 403, "forbidden_origin");
  EXPECT_NE(opaque.message.find("opaque origin"), std::string::npos) << opaque.message;
  EXPECT_NE(forbidden_origin("https://evil.example").message.find("'https://evil.example'"),
            std::string::npos);
}

TEST(BrowserGuard, OwnNamesAreLoopbackTheHostNameItsMdnsNameAndAddresses) {
  auto n = names();
  for (const char* name : {"localhost", "127.0.0.1", "[::1]", "lab-box", "lab-box.local", "0123abcd.local",
                           "192.168.1.20", "[fe80::1]"}) {
    EXPECT_NE(std::find(n.begin(), n.end(), name), n.end()) << name;
  }
  EXPECT_EQ(std::count(n.begin(), n.end(), "127.0.0.1"), 1) << "no duplicates";
  EXPECT_EQ(own_host_names("", "", {"", "10.0.0.1"}).size(), 4U) << "empty inputs are skipped";
}

TEST(BrowserGuard, HostNamingThisNodeWithItsPortOrNoneIsAllowed) {
  auto n = names();
  for (const char* host :
       {"localhost:32768", "127.0.0.1:32768", "[::1]:32768", "localhost", "LOCALHOST:32768", "lab-box:32768",
        "Lab-Box.local:32768", "0123abcd.local:32768", "192.168.1.20:32768", "[FE80::1]:32768",
        "localhost.:32768", "localhost:", "", " localhost:32768 "}) {
    EXPECT_TRUE(host_allowed(host, n, kPort)) << "'" << host << "'";
  }
}

TEST(BrowserGuard, ForeignNamesOtherPortsAndMalformedHostsAreRefused) {
  auto n = names();
  for (const char* host : {"evil.example", "evil.example:32768", "localhost.evil.example:32768",
                           "sub.localhost:32768", "127.0.0.2:32768", "localhost:8080", "localhost:032768x",
                           "localhost:99999999999", "::1", "[::1", "[::1]x", "[::1]:80", ":32768", "."}) {
    EXPECT_FALSE(host_allowed(host, n, kPort)) << "'" << host << "'";
  }
}

TEST(BrowserGuard, TheRefusedHostIsA421QuotingItPrintably) {
  ApiError e = misdirected_host("evil.example:32768\x01\xff");
  expect_refusal(e, 421, "misdirected_host");
  EXPECT_NE(e.message.find("'evil.example:32768?"
                           "?'"),
            std::string::npos)
      << e.message;
  EXPECT_LT(misdirected_host(std::string(10000, 'a')).message.size(), 400U);
}

TEST(BrowserGuard, JsonContentTypesWithAnyParametersAreJson) {
  for (const char* type : {"application/json", "application/json; charset=utf-8",
                           "Application/JSON;charset=UTF-8", " application/json "}) {
    EXPECT_TRUE(content_type_is_json(type)) << type;
  }
}

TEST(BrowserGuard, WhatAPageSendsWithoutAPreflightIsNotJson) {
  for (const char* type :
       {"", "text/plain", "text/plain;charset=UTF-8", "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x", "application/jsonx", "text/plain; x=application/json"}) {
    EXPECT_FALSE(content_type_is_json(type)) << type;
  }
}

TEST(BrowserGuard, The415TellsACurlUserTheHeaderToAdd) {
  ApiError form = unsupported_media_type("application/x-www-form-urlencoded");
  expect_refusal(form, 415, "unsupported_media_type");
  EXPECT_NE(form.message.find("-H 'Content-Type: application/json'"), std::string::npos) << form.message;
  EXPECT_NE(form.message.find("'application/x-www-form-urlencoded'"), std::string::npos) << form.message;
  EXPECT_NE(unsupported_media_type("").message.find("had no Content-Type"), std::string::npos);
}

}  // namespace
}  // namespace quorum::node::api
