"""nginx.conf of the party's OpenResty proxy (the route table is in render_routes.py).

The upstream servers are placeholders: FATE's Lua balancer picks the real peer from the route table per
request.
"""

from __future__ import annotations

NGINX_CONF = """\
worker_processes  2;
error_log  /dev/stderr  info;
events {
    worker_connections  1024;
}
http {
    include       mime.types;
    default_type  application/octet-stream;
    log_format  main  '$remote_addr [$time_local] "$request" "$http_host" $status $body_bytes_sent '
                      '$upstream_status $upstream_addr $request_time $upstream_response_time';
    access_log  /dev/stdout  main;
    sendfile        on;
    keepalive_timeout  65;
    underscores_in_headers on;
    lua_package_path "$prefix/lua/?.lua;;";
    init_worker_by_lua_file 'lua/initialize.lua';
    upstream http_cluster {
        server fateflow:9380;   # placeholder, lua/balancer.lua chooses the peer
        balancer_by_lua_file 'lua/balancer.lua';
    }
    upstream grpc_cluster {
        server fateflow:9360;   # placeholder, lua/balancer.lua chooses the peer
        balancer_by_lua_file 'lua/balancer.lua';
    }
    include vhost/*.conf;
}
"""


def render_nginx_conf() -> str:
    """Upstream's stream block (9128 -> 127.0.0.1:3128) proxied to nothing; it is left out."""
    return NGINX_CONF
