# shellcheck shell=bash
# Sourced by the benchmark scripts.
# nginx_conf DIR LISTEN_PORT UPSTREAM_PORT WORKERS CONNECTIONS NOFILE [single]: writes DIR/nginx.conf for nginx
# as the benchmark runs it in front of an engine or a node: HTTP/1.1 to the upstream with keepalive, no
# response buffering (each token goes out as it comes), no access log, its files in DIR. "single" runs the
# one worker in the master's own process (master_process off), for tools that follow one process (callgrind).
nginx_conf() {
  local dir=$1 port=$2 upstream=$3 workers=$4 connections=$5 nofile=$6 single=${7:-}
  mkdir -p "$dir/tmp"
  cat >"$dir/nginx.conf" <<EOF
$([[ $EUID -eq 0 ]] && echo "user root;")
$([[ "$single" = single ]] && echo "master_process off;")
worker_processes $workers;
worker_rlimit_nofile $nofile;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events {
  worker_connections $connections;
}
http {
  access_log off;
  client_body_temp_path $dir/tmp/body;
  proxy_temp_path $dir/tmp/proxy;
  fastcgi_temp_path $dir/tmp/fastcgi;
  uwsgi_temp_path $dir/tmp/uwsgi;
  scgi_temp_path $dir/tmp/scgi;
  upstream engine {
    server 127.0.0.1:$upstream;
    keepalive 1024;
  }
  server {
    listen 127.0.0.1:$port reuseport backlog=4096;
    location / {
      proxy_pass http://engine;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:$upstream;  # a node answers only to its own names (DNS rebinding)
      proxy_buffering off;
      proxy_read_timeout 600s;
    }
  }
}
EOF
}
