-- Stand-in for federatedai/nginx's nginx/lua/balancer.lua (FATE's file, not copied:
-- tests/workload/fate_proxy/README.md). Documented behaviour: the upstream's peer is the "host:port" that
-- lua/router.lua chose, set with ngx.balancer (lua-resty-core), which accepts only addresses: a route entry
-- naming a host fails here ("no host allowed").
local balancer = require("ngx.balancer")

local ok, err = balancer.set_current_peer(ngx.ctx.dest_cluster)
if not ok then
    ngx.log(ngx.ERR, "balancer: peer ", tostring(ngx.ctx.dest_cluster), ": ", err)
    return ngx.exit(ngx.ERROR)
end
