-- Stand-in for federatedai/nginx's nginx/lua/check.lua (FATE's file, not copied:
-- tests/workload/fate_proxy/README.md). Documented behaviour: the probes' GET /test answered "ok".
ngx.print("ok")
