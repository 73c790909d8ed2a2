-- Stand-in for federatedai/nginx's nginx/lua/initialize.lua (FATE's file, not copied:
-- tests/workload/fate_proxy/README.md). Documented behaviour: run in every worker (init_worker_by_lua_file),
-- start the route table's reload.
require("route_table").start()
