"""fateflow's authentication switches (``authentication`` in its service_conf.yaml), as FATE-Flow 2.0.0
means them; every one is off unless the stack turns it on, as upstream ships them.

- ``client``: every request to fateflow's client API (the ``flow`` CLI, the notebook's pipeline SDK,
  fateboard) must carry a valid app id and signature, checked by FATE-Flow's client-authentication hook.
- ``site``: every request from another party's fateflow (the partner and scheduler APIs, arriving through
  nginx) must be signed by that site, checked by the site-authentication hook.
- ``permission``: a job is only accepted if the submitting party was granted the roles, components and
  datasets it uses (FATE-Flow's permission hook and ``flow permission grant``).

With ``client`` on, the apps and their keys must be created in fateflow before anything can submit a job
(``flow app-client create``); see docs/config-fate.md.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class FateflowAuthentication(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, alias_generator=to_camel)

    client: bool = False
    site: bool = False
    permission: bool = False
