-- Stand-in for federatedai/nginx's nginx/lua/router.lua (FATE's file, not copied:
-- tests/workload/fate_proxy/README.md). Documented behaviour: in the access phase, the headers
-- dest-party-id (else dest-env) and service choose the peer through route_table.get_dest_server, kept in
-- ngx.ctx for lua/balancer.lua. Where the image's Lua fails with a runtime error (no such party, service or
-- default route), this logs why and answers 500, the status that error gives.
local route_table = require("route_table")

local headers = ngx.req.get_headers()
local party = headers["dest-party-id"] or headers["dest-env"]
local server, err = route_table.get_dest_server(party, headers["service"])
if server == nil then
    ngx.log(ngx.ERR, "router: ", err)
    return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
end
ngx.ctx.dest_cluster = server
