"""HDFS config: namenode ``core-site.xml`` and the env maps the hadoop images turn into *-site.xml entries.

Only the HDFS settings are rendered; upstream's YARN/MapReduce entries configure services that are never
deployed.
"""

from __future__ import annotations

CORE_SITE = """\
<?xml version="1.0" encoding="UTF-8"?>
<?xml-stylesheet type="text/xsl" href="configuration.xsl"?>
<configuration>
  <property>
    <name>fs.default.name</name>
    <value>hdfs://0.0.0.0:9000</value>
  </property>
</configuration>
"""


def render_core_site() -> str:
    return CORE_SITE


def hdfs_env() -> dict[str, str]:
    return {
        "CORE_CONF_fs_defaultFS": "hdfs://namenode:9000",
        "CORE_CONF_hadoop_http_staticuser_user": "root",
        "HDFS_CONF_dfs_webhdfs_enabled": "true",
        "HDFS_CONF_dfs_permissions_enabled": "false",
        "HDFS_CONF_dfs_namenode_datanode_registration_ip___hostname___check": "false",
        "HDFS_CONF_dfs_client_use_datanode_hostname": "false",
        "HDFS_CONF_dfs_datanode_use_datanode_hostname": "false",
        "HDFS_CONF_dfs_namenode_rpc___bind___host": "0.0.0.0",
        "HDFS_CONF_dfs_namenode_servicerpc___bind___host": "0.0.0.0",
        "HDFS_CONF_dfs_namenode_http___bind___host": "0.0.0.0",
        "HDFS_CONF_dfs_namenode_https___bind___host": "0.0.0.0",
        "MULTIHOMED_NETWORK": "0",
    }
