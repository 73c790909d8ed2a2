"""nginx.conf of FATE's OpenResty proxy (``federatedai/nginx``), for a party and for the exchange (the route
tables are in render_routes.py and components/exchange/routes.py).

The upstream servers are placeholders: FATE's Lua balancer picks the real peer from the route table per
request and hands it to ``ngx.balancer``; nginx only falls back to the placeholder when the Lua sets no peer.
Each placeholder is a ``server`` parameter string. nginx resolves a host name in it once, at start-up, and
refuses to start when the name does not resolve, so a placeholder may only name what exists where the file
is used.
"""

from __future__ import annotations

# The party's, as KubeFATE's party chart renders them: its own FATE-Flow (Service ``fateflow``).
PARTY_HTTP_UPSTREAM = "fateflow:9380"
PARTY_GRPC_UPSTREAM = "fateflow:9360"
# The exchange's. It has no FATE-Flow, so ``fateflow`` would keep nginx from starting. Upstream's exchange
# chart uses 127.0.0.1:9300/9310, which are the exchange nginx's own listeners: a request the Lua sets no peer
# for would go back into the exchange and round again until it runs out of connections. 0.0.0.1 is in 0.0.0.0/8
# ("this network"), never a peer's address, and needs no name lookup (it is ngx.balancer's documented
# placeholder); ``down`` means nginx never chooses it itself, so such a request fails at once with 502.
EXCHANGE_HTTP_UPSTREAM = "0.0.0.1 down"
EXCHANGE_GRPC_UPSTREAM = "0.0.0.1 down"

_HTTP = "@HTTP_UPSTREAM@"
_GRPC = "@GRPC_UPSTREAM@"

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
        server @HTTP_UPSTREAM@;   # placeholder, lua/balancer.lua chooses the peer
        balancer_by_lua_file 'lua/balancer.lua';
    }
    upstream grpc_cluster {
        server @GRPC_UPSTREAM@;   # placeholder, lua/balancer.lua chooses the peer
        balancer_by_lua_file 'lua/balancer.lua';
    }
    include vhost/*.conf;
}
"""


def _check(placeholder: str) -> str:
    if not placeholder.strip() or any(c in placeholder for c in ";{}\n#'\""):
        raise ValueError(
            f"nginx upstream placeholder {placeholder!r}: one `server` parameter string expected "
            "(address[:port] and flags, no `;`, braces, quotes or comments)"
        )
    return placeholder.strip()


def render_nginx_conf(http_upstream: str = PARTY_HTTP_UPSTREAM, grpc_upstream: str = PARTY_GRPC_UPSTREAM) -> str:
    """``http_upstream``/``grpc_upstream`` are the placeholder servers of ``http_cluster``/``grpc_cluster``.

    Upstream's stream block (9128 -> 127.0.0.1:3128) proxied to nothing; it is left out. Logs go to the
    container's stdout/stderr (the image's own file logs to nginx/logs/ inside the container)."""
    return NGINX_CONF.replace(_HTTP, _check(http_upstream)).replace(_GRPC, _check(grpc_upstream))


def render_exchange_nginx_conf() -> str:
    return render_nginx_conf(EXCHANGE_HTTP_UPSTREAM, EXCHANGE_GRPC_UPSTREAM)
