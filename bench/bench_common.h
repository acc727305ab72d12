// Small helpers shared by the benchmark programs (quorum-fake-engine, quorum-load): flag parsing and the
// open-file limit. Header-only; nothing here touches the network.
#pragma once

#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <string_view>

namespace quorum::bench {

// Raises the soft RLIMIT_NOFILE to the hard limit (thousands of sockets need it). Returns the soft limit now
// in force.
inline rlim_t raise_open_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
    getrlimit(RLIMIT_NOFILE, &limit);
  }
  return limit.rlim_cur;
}

// "--name value", "--name=value" and bare "--name" (boolean) flags. Every flag must be declared with its
// default before parse(); an undeclared flag, a missing value or --help prints the usage and exits.
class Flags {
 public:
  Flags(std::string program, std::string summary)
      : program_(std::move(program)), summary_(std::move(summary)) {}

  void value(const std::string& name, std::string default_value, std::string help) {
    specs_[name] = Spec{std::move(default_value), std::move(help), false};
  }
  void boolean(const std::string& name, std::string help) { specs_[name] = Spec{"", std::move(help), true}; }

  void parse(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
      std::string_view arg = argv[i];
      if (arg == "--help" || arg == "-h") usage(0);
      if (arg.substr(0, 2) != "--") fail("unexpected argument '" + std::string(arg) + "'");
      std::string name(arg.substr(2));
      std::string inline_value;
      bool has_inline = false;
      if (auto eq = name.find('='); eq != std::string::npos) {
        inline_value = name.substr(eq + 1);
        name.resize(eq);
        has_inline = true;
      }
      auto it = specs_.find(name);
      if (it == specs_.end()) fail("unknown flag --" + name);
      if (it->second.boolean) {
        values_[name] = has_inline ? inline_value : "1";
      } else if (has_inline) {
        values_[name] = inline_value;
      } else {
        if (i + 1 >= argc) fail("--" + name + " needs a value");
        values_[name] = argv[++i];
      }
    }
  }

  std::string str(const std::string& name) const {
    if (auto it = values_.find(name); it != values_.end()) return it->second;
    return specs_.at(name).default_value;
  }
  bool on(const std::string& name) const {
    auto v = str(name);
    return !v.empty() && v != "0" && v != "false";
  }
  bool given(const std::string& name) const { return values_.count(name) > 0; }
  // A number; exits with a message when the value is not one or lies outside [min, max].
  double num(const std::string& name, double min, double max) const {
    std::string v = str(name);
    char* end = nullptr;
    double d = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || d < min || d > max) {
      fail("--" + name + " expects a number in [" + std::to_string(min) + ", " + std::to_string(max) +
           "], got '" + v + "'");
    }
    return d;
  }

  [[noreturn]] void fail(const std::string& message) const {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), message.c_str());
    usage(2);
  }

  [[noreturn]] void usage(int code) const {
    std::FILE* out = code == 0 ? stdout : stderr;
    std::fprintf(out, "%s: %s\n\nflags:\n", program_.c_str(), summary_.c_str());
    for (const auto& [name, spec] : specs_) {
      std::string left = "--" + name + (spec.boolean ? "" : " V");
      std::fprintf(
          out, "  %-26s %s%s\n", left.c_str(), spec.help.c_str(),
          spec.boolean || spec.default_value.empty() ? "" : (" [" + spec.default_value + "]").c_str());
    }
    std::exit(code);
  }

 private:
  struct Spec {
    std::string default_value;
    std::string help;
    bool boolean = false;
  };
  std::string program_;
  std::string summary_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
};

}  // namespace quorum::bench
