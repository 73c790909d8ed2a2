"""nginx.conf of FATE's OpenResty proxy, rendered for a party and for the exchange."""

from __future__ import annotations

import re

import pytest

from components.fate_cluster.render_nginx import (
    EXCHANGE_GRPC_UPSTREAM,
    EXCHANGE_HTTP_UPSTREAM,
    render_exchange_nginx_conf,
    render_nginx_conf,
)


def upstream_servers(text: str) -> dict[str, str]:
    return dict(re.findall(r"upstream (\w+) \{\s*server ([^;]+);", text))


def test_party_placeholders_are_its_own_fateflow():
    assert upstream_servers(render_nginx_conf()) == {"http_cluster": "fateflow:9380", "grpc_cluster": "fateflow:9360"}


def test_exchange_placeholders_need_no_name_and_never_lead_back_into_the_exchange():
    text = render_exchange_nginx_conf()
    servers = upstream_servers(text)
    assert servers == {"http_cluster": EXCHANGE_HTTP_UPSTREAM, "grpc_cluster": EXCHANGE_GRPC_UPSTREAM}
    for server in servers.values():
        address, *flags = server.split()
        # an address, not a name nginx must resolve at start (the exchange has no fateflow Service) ...
        assert re.fullmatch(r"[0-9.]+(:\d+)?", address), server
        # ... neither the exchange's own listeners (upstream's 127.0.0.1:9300/9310 loop a request back in) ...
        assert not address.startswith("127.") and not address.endswith((":9300", ":9310")), server
        # ... and never chosen by nginx itself.
        assert flags == ["down"], server


@pytest.mark.parametrize("render", [render_nginx_conf, render_exchange_nginx_conf])
def test_both_use_the_lua_balancer_the_image_vhosts_and_container_logs(render):
    text = render()
    assert text.count("balancer_by_lua_file 'lua/balancer.lua';") == 2
    assert "init_worker_by_lua_file 'lua/initialize.lua';" in text
    assert "include vhost/*.conf;" in text
    assert "log_format  main" in text  # the image's vhosts log in the `main` format
    assert "error_log  /dev/stderr" in text and "access_log  /dev/stdout  main;" in text
    assert text.count("{") == text.count("}")
    assert "@" not in text


def test_the_two_differ_only_in_the_placeholders():
    party, exchange = render_nginx_conf(), render_exchange_nginx_conf()
    assert (
        party.replace("fateflow:9380", EXCHANGE_HTTP_UPSTREAM).replace("fateflow:9360", EXCHANGE_GRPC_UPSTREAM)
        == exchange
    )


@pytest.mark.parametrize("bad", ["", "  ", "a; b", "x { }", "a # c", "a\nb", "'q'"])
def test_a_placeholder_is_one_server_parameter_string(bad):
    with pytest.raises(ValueError, match="placeholder"):
        render_nginx_conf(bad, "fateflow:9360")
