#include "app/webkit_window.h"

#include <dlfcn.h>

#include <csignal>

#include "app/launch_plan.h"

namespace quorum::app {

// The C types and functions used, declared here instead of included: the build needs no GTK headers.
using gboolean = int;
using gpointer = void*;
using gulong = unsigned long;
using guint = unsigned int;
using GtkWidget = void;
using GCallback = void (*)();
using GSourceFunc = gboolean (*)(gpointer);
using GUnixFDSourceFunc = gboolean (*)(int fd, unsigned condition, gpointer);
constexpr int kGtkWindowToplevel = 0;
constexpr unsigned kGIoIn = 1;

struct GtkApi {
  gboolean (*gtk_init_check)(int*, char***);
  GtkWidget* (*gtk_window_new)(int);
  void (*gtk_window_set_title)(GtkWidget*, const char*);
  void (*gtk_window_set_default_size)(GtkWidget*, int, int);
  void (*gtk_container_add)(GtkWidget*, GtkWidget*);
  void (*gtk_widget_show_all)(GtkWidget*);
  void (*gtk_widget_destroy)(GtkWidget*);
  void (*gtk_main)();
  void (*gtk_main_quit)();
  GtkWidget* (*webkit_web_view_new)();
  void (*webkit_web_view_load_uri)(GtkWidget*, const char*);
  const char* (*webkit_web_view_get_title)(GtkWidget*);
  gulong (*g_signal_connect_data)(gpointer, const char*, GCallback, gpointer, gpointer, int);
  guint (*g_unix_signal_add)(int, GSourceFunc, gpointer);
  guint (*g_unix_fd_add)(int, unsigned, GUnixFDSourceFunc, gpointer);
  gboolean (*g_source_remove)(guint);
};

namespace {

// Finds `name` in `lib` into `fn`; on failure records dlerror() once.
template <class F>
void find(void* lib, const char* name, F& fn, std::string& error) {
  fn = reinterpret_cast<F>(::dlsym(lib, name));
  if (fn == nullptr && error.empty()) error = std::string("missing symbol ") + name;
}

void* open_library(const char* name, std::string& error) {
  if (!error.empty()) return nullptr;
  void* lib = ::dlopen(name, RTLD_NOW | RTLD_GLOBAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    error = why ? why : std::string("cannot load ") + name;
  }
  return lib;
}

// The state GTK's callbacks share while run() is in its main loop.
struct Session {
  GtkApi* api;
  GtkWidget* window = nullptr;
  WindowEnd end = WindowEnd::closed;
  bool destroyed = false;
};

void on_title(GtkWidget* view, gpointer /*param_spec*/, gpointer data) {
  auto* s = static_cast<Session*>(data);
  s->api->gtk_window_set_title(s->window, window_title(s->api->webkit_web_view_get_title(view)).c_str());
}

void on_destroy(GtkWidget*, gpointer data) {
  auto* s = static_cast<Session*>(data);
  s->destroyed = true;
  s->api->gtk_main_quit();
}

// Closes the window for `why` (its destroy handler then leaves the main loop).
void close_for(Session* s, WindowEnd why) {
  if (s->destroyed) return;
  s->end = why;
  s->api->gtk_widget_destroy(s->window);
}

gboolean on_signal(gpointer data) {
  close_for(static_cast<Session*>(data), WindowEnd::signalled);
  return 1;  // G_SOURCE_CONTINUE: run() removes it
}

gboolean on_fd(int, unsigned, gpointer data) {
  close_for(static_cast<Session*>(data), WindowEnd::fd_ready);
  return 1;
}

}  // namespace

Result<std::unique_ptr<WebKitWindow>> WebKitWindow::load() {
  std::string error;
  void* glib = open_library("libglib-2.0.so.0", error);
  void* gobject = open_library("libgobject-2.0.so.0", error);
  void* gtk = open_library("libgtk-3.so.0", error);
  void* webkit = open_library("libwebkit2gtk-4.1.so.0", error);
  if (!error.empty()) return ApiError::server(500, error);
  auto api = std::make_unique<GtkApi>();
  find(gtk, "gtk_init_check", api->gtk_init_check, error);
  find(gtk, "gtk_window_new", api->gtk_window_new, error);
  find(gtk, "gtk_window_set_title", api->gtk_window_set_title, error);
  find(gtk, "gtk_window_set_default_size", api->gtk_window_set_default_size, error);
  find(gtk, "gtk_container_add", api->gtk_container_add, error);
  find(gtk, "gtk_widget_show_all", api->gtk_widget_show_all, error);
  find(gtk, "gtk_widget_destroy", api->gtk_widget_destroy, error);
  find(gtk, "gtk_main", api->gtk_main, error);
  find(gtk, "gtk_main_quit", api->gtk_main_quit, error);
  find(webkit, "webkit_web_view_new", api->webkit_web_view_new, error);
  find(webkit, "webkit_web_view_load_uri", api->webkit_web_view_load_uri, error);
  find(webkit, "webkit_web_view_get_title", api->webkit_web_view_get_title, error);
  find(gobject, "g_signal_connect_data", api->g_signal_connect_data, error);
  find(glib, "g_unix_signal_add", api->g_unix_signal_add, error);
  find(glib, "g_unix_fd_add", api->g_unix_fd_add, error);
  find(glib, "g_source_remove", api->g_source_remove, error);
  if (!error.empty()) return ApiError::server(500, error);
  return std::unique_ptr<WebKitWindow>(new WebKitWindow(std::move(api)));
}

WebKitWindow::WebKitWindow(std::unique_ptr<GtkApi> api) : api_(std::move(api)) {}
WebKitWindow::~WebKitWindow() = default;

Status WebKitWindow::init_display() {
  int argc = 0;
  char** argv = nullptr;
  if (!api_->gtk_init_check(&argc, &argv)) {
    const char* display = std::getenv("DISPLAY");
    const char* wayland = std::getenv("WAYLAND_DISPLAY");
    std::string name = display && *display ? display : (wayland ? wayland : "");
    return ApiError::server(500, "GTK cannot open the display " + name);
  }
  return Ok{};
}

WindowEnd WebKitWindow::run(const std::string& url, int watch_fd) {
  Session s{api_.get()};
  auto& g = *api_;
  s.window = g.gtk_window_new(kGtkWindowToplevel);
  g.gtk_window_set_title(s.window, window_title(nullptr).c_str());
  g.gtk_window_set_default_size(s.window, 1200, 800);
  GtkWidget* view = g.webkit_web_view_new();
  g.gtk_container_add(s.window, view);
  g.g_signal_connect_data(view, "notify::title", reinterpret_cast<GCallback>(&on_title), &s, nullptr, 0);
  g.g_signal_connect_data(s.window, "destroy", reinterpret_cast<GCallback>(&on_destroy), &s, nullptr, 0);
  guint sources[3] = {g.g_unix_signal_add(SIGINT, &on_signal, &s),
                      g.g_unix_signal_add(SIGTERM, &on_signal, &s),
                      watch_fd >= 0 ? g.g_unix_fd_add(watch_fd, kGIoIn, &on_fd, &s) : 0};
  g.webkit_web_view_load_uri(view, url.c_str());
  g.gtk_widget_show_all(s.window);
  g.gtk_main();
  for (guint id : sources) {
    if (id != 0) g.g_source_remove(id);
  }
  return s.end;
}

}  // namespace quorum::app
