-- Stand-in for federatedai/nginx's nginx/lua/route_table.lua (FATE's file, not copied:
-- tests/workload/fate_proxy/README.md). Documented behaviour:
--  * reads "conf/route_table.yaml" relative to the nginx prefix, at start and every 5 s. The pods' command
--    seds that string to conf/modifiable/route_table.yaml (the ConfigMap's directory mount): keep it literal;
--  * caches each top-level key (a party id or "default") in a resty.lrucache of 500 entries; keys are only
--    added or overwritten, so a party removed from the file is still routed until nginx restarts;
--  * get_dest_server(party, service): a random entry of route[party][service], or of default.proxy when the
--    party is not in the table; that entry's grpc_port for an HTTP/2 request, its http_port otherwise;
--    returned as "host:port" exactly as written (ngx.balancer takes addresses and resolves no names).
-- The image parses the YAML with a pure-Lua parser of FATE's; this uses Debian's lua-yaml (lyaml).
local lyaml = require("lyaml")
local lrucache = require("resty.lrucache")

local _M = {}
local PATH = ngx.config.prefix() .. "conf/route_table.yaml"
local cache = assert(lrucache.new(500))

local function reload()
    local file, err = io.open(PATH, "r")
    if not file then
        ngx.log(ngx.ERR, "route table: ", err)
        return
    end
    local text = file:read("*a")
    file:close()
    local ok, doc = pcall(lyaml.load, text)
    if not ok or type(doc) ~= "table" then
        ngx.log(ngx.ERR, "route table ", PATH, " is not a YAML mapping: ", tostring(doc))
        return
    end
    for key, services in pairs(doc) do
        cache:set(tostring(key), services)
    end
end

function _M.start()
    reload()
    local ok, err = ngx.timer.every(5, function(premature)
        if not premature then
            reload()
        end
    end)
    if not ok then
        ngx.log(ngx.ERR, "route table: no reload timer: ", err)
    end
end

local function pick(entries)
    if type(entries) == "table" and #entries > 0 then
        return entries[math.random(#entries)]
    end
end

function _M.get_dest_server(party, service)
    if party == nil then
        return nil, "no dest-party-id (or dest-env) header"
    end
    local route = cache:get(tostring(party))
    local entry
    if route ~= nil then
        entry = pick(route[service])
    else
        local default = cache:get("default")
        entry = default and pick(default.proxy)
    end
    if entry == nil then
        return nil, "no route for party " .. tostring(party) .. ", service " .. tostring(service)
    end
    local port = ngx.req.http_version() == 2 and entry.grpc_port or entry.http_port
    return tostring(entry.host) .. ":" .. tostring(port)
end

return _M
