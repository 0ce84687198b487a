"""moto's server, with the write checks AWS makes and moto does not.

fledge's safety rests on AWS refusing stale writes, so its tests must run against an emulator that
refuses them too; a test that passes only because moto is lenient proves nothing. This wrapper adds:

Lambda
  * UpdateAlias checks the RevisionId it is given (412 PreconditionFailedException when it is not the
    alias's current one), and every update gives the alias a new RevisionId. moto never changes or
    checks it.
  * Routing weights as Lambda takes them: at most one additional version, weight 0.0-1.0, never the
    alias's own version. moto accepts anything.

Lambda provisioned concurrency (moto has none)
  * Put/Get/Delete/ListProvisionedConcurrencyConfig(s) on a version or an alias. A configuration is
    IN_PROGRESS (nothing allocated) for MOTO_PROVISIONED_CONCURRENCY_READY_SECONDS (server environment,
    default 1) and then READY with all it requested; AWS takes minutes. A version whose environment has
    MOTO_PROVISIONED_CONCURRENCY=FAILED ends FAILED instead (as when its initialisation fails); set it
    on the function before PublishVersion, so only that version fails.
  * Refused as Lambda refuses: $LATEST or no qualifier ("cannot be applied to unpublished function
    versions"); an alias with routing weights, for Put and Delete ("Alias with weights can not be used
    with Provisioned Concurrency"); an alias and the version it points to both configured
    (ResourceConflictException; AWS's wording not found, this one is ours); more than the function's
    reserved concurrency; more than the account's 1,000 minus the 100 it keeps unreserved, counted over
    every configuration; fewer than 1 (ValidationException).
  * UpdateAlias moving an alias that has provisioned concurrency to another version moves the
    configuration with it, IN_PROGRESS again until the new version's is allocated. Not emulated: the
    temporary routing weights AWS was seen to put on such an alias while it moves (observed in
    hashicorp/terraform#24957, not documented). Whether AWS refuses moving such an alias onto a version
    that has a configuration of its own is not documented; this wrapper lets it.

API Gateway REST stage canary (moto has none)
  * `canarySettings` {deploymentId, percentTraffic, stageVariableOverrides, useStageCache} on GetStage,
    GetStages and UpdateStage. UpdateStage takes the PatchOperation reference's paths:
    add/replace `/canarySettings/deploymentId` (an existing deployment), `/canarySettings/percentTraffic`
    (0.0-100.0, else BadRequestException), `/canarySettings/useStageCache`,
    add/replace/remove `/canarySettings/stageVariableOverrides/<name>`; copy from
    `/canarySettings/deploymentId` to `/deploymentId` and from `/canarySettings/stageVariableOverrides`
    to `/variables` (merged over the stage's); remove `/canarySettings`. A canary made by an update
    starts on the stage's own deployment, as the developer guide says. Any other `/canarySettings` path
    is a BadRequestException, and so are the developer guide's wrong `/canary/...` paths, which moto's
    substring match took for `/deploymentId`. One UpdateStage applies all its operations or none.
  * CreateDeployment with canarySettings makes the new deployment the stage's canary and leaves the
    stage's own deployment and variables alone; the stage must exist. A CreateDeployment without
    canarySettings to a stage that has a canary is refused ("Non canary deployment not supported on
    stage ... because Canary is enabled", BadRequestException, as AWS answers). A plain CreateDeployment
    to an existing stage moves its deploymentId and keeps its settings; moto replaced the whole stage.

ELBv2 forward actions
  * ForwardConfig.TargetGroups weights are 0-999 and a forward action has at most 5 target groups
    (ValidationError otherwise, on CreateRule, ModifyRule, CreateListener and ModifyListener); moto
    accepted any weight and any number. moto already keeps the whole action list it is given (order,
    authenticate actions, stickiness) and answers DescribeTargetHealth; the tests hold both.

DynamoDB TransactWriteItems (speed, not semantics)
  * moto deep-copies every table a transaction names, once per item, to undo a cancelled one: 250 ms a
    transaction of three items beside 3,000 others, holding every other request. Here it keeps just
    the items the transaction names (all it can change) and puts them back if it is cancelled: 8 ms.

Route 53 (ChangeResourceRecordSets)
  * A batch is one transaction: every change is checked against the zone as the batch has changed it so
    far, and nothing is applied unless all pass. moto applies changes one by one.
  * DELETE names one record (name, type, SetIdentifier) and must repeat its current values (TTL,
    values, weight, alias target, health check); otherwise InvalidChangeBatch. moto checks the values
    against its change history, not the record, and a weighted DELETE removes every record with that
    SetIdentifier in the zone, whatever its name.
  * CREATE is refused only if that record exists at that point of the batch. moto refuses a CREATE
    identical to any earlier one while any record of that name and type exists.
  * A and AAAA values must be IPv4 and IPv6 addresses (InvalidChangeBatch), as Route 53 requires.

Deploying and running the template (test/deploy/) needs more, with IAM enforced:

- Fn::Sub with a variable map: moto substitutes the map with Python's string.Template, which skips
  names that start with a digit (serverless-step-functions names its variables by hash, e.g.
  `${7c799dc5...}`) and turns every `$$` into `$` (so `$$.Execution.Id` in a state machine definition
  became `$.Execution.Id`). CloudFormation replaces `${name}` for every name in the map and leaves the
  rest alone; so does this wrapper, before moto resolves the remaining `${...}` as before.
- IAM (when enforced through INITIAL_NO_AUTH_ACTION_COUNT): moto checks most requests against the
  resource `*`, so a statement scoped to an ARN never allows anything. Here a statement's Resource
  always matches and only its actions are compared; the template tests check resource scoping. moto
  also names the action after the signing name and the API operation, which differ from IAM's for two
  calls fledge makes: CloudWatch signs as `monitoring`, and Lambda's `Invoke` is `lambda:InvokeFunction`.
  A role that CloudFormation created keeps its inline policies as objects, which moto's check cannot
  read (a KeyError, answered with HTTP 500): here they are read as the JSON they are.
  And it answers a refused request in XML whatever the protocol, which an SDK client of a JSON service
  (Lambda, DynamoDB, EventBridge, Step Functions, CloudWatch) cannot read: it reports a SyntaxError
  instead of AccessDeniedException. Here JSON requests get the JSON error AWS sends.
- EventBridge PutEvents: moto matches every event against a scheduled rule (it has no pattern), and
  raises for a target it cannot deliver to (Lambda, Step Functions), so PutEvents fails with HTTP 500
  and the rule's later targets get nothing. Here a scheduled rule matches no event that is put, and an
  undeliverable target is skipped while the others still get the event: AWS delivers to targets after
  PutEvents has answered, so its answer never depends on them.

Speed, changing no answer:
- moto lists its own package directory (a stat per service) for every request to match the host to a
  service; the list never changes while the server runs, so it is read once. About a tenth of moto's
  time per request under the fault matrix (cProfile).
- werkzeug logs each request line; nothing reads it (local/moto.ts keeps stderr for start-up errors).

CloudWatch ListMetrics
  * Each series once, as AWS lists it. moto compares every dimension of a datum with every dimension of
    each series already listed, so a series of two or more dimensions never matched itself: it listed
    the series once per datum, comparing each with all listed so far (quadratic in the data points; a
    Plan's ListMetrics then outlasted the fault matrix's scaled timeouts on a busy machine).

Used by local/moto.ts for the demo and the tests. Each patch is small and named after what it emulates.
"""

import copy
import datetime
import ipaddress
import json
import os
import sys
import time

from moto.apigateway import exceptions as apigateway_exceptions
from moto.apigateway import models as apigateway_models
from moto.apigateway import responses as apigateway_responses
from moto.cloudformation import parsing
from moto.cloudwatch import models as cloudwatch_models
from moto.events import models as events_models
from moto.iam import access_control
from urllib.parse import unquote

from moto.awslambda import models as lambda_models
from moto.awslambda import responses as lambda_responses
from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import PreconditionFailedException
from moto.core.exceptions import JsonRESTError
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models.dynamo_type import DynamoType
from moto.dynamodb.models.table import Table as DynamoDbTable
from moto.elbv2 import exceptions as elbv2_exceptions
from moto.elbv2 import models as elbv2_models
from moto.moto_api._internal import mock_random as random
from moto.route53 import models as route53_models
from moto.route53.exceptions import Route53ClientError
from moto.server import main
from moto import backends as moto_backends
import logging

# --- Lambda: RevisionId and routing weights -------------------------------------------------------

_alias_update = lambda_models.LambdaAlias.update


def _alias_update_with_new_revision(self, description, function_version, routing_config):
    _alias_update(self, description, function_version, routing_config)
    self.revision_id = str(random.uuid4())


_update_alias_response = lambda_responses.LambdaResponse.update_alias


def _update_alias_checked(self):
    function_name = unquote(self.path.rsplit("/")[-3])
    alias_name = unquote(self.path.rsplit("/", 2)[-1])
    params = json.loads(self.body or "{}")
    alias = self.backend.get_alias(name=alias_name, function_name=function_name)
    revision = params.get("RevisionId")
    if revision and revision != alias.revision_id:
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
        )
    version = params.get("FunctionVersion") or alias.function_version
    weights = ((params.get("RoutingConfig") or {}).get("AdditionalVersionWeights")) or {}
    if len(weights) > 1:
        raise JsonRESTError("InvalidParameterValueException", "Only one additional version may be routed")
    for extra, weight in weights.items():
        if not (0.0 <= float(weight) <= 1.0):
            raise JsonRESTError(
                "ValidationException",
                f"1 validation error detected: Value '{weight}' at 'routingConfig.additionalVersionWeights' "
                "failed to satisfy constraint: Member must have value less than or equal to 1.0",
            )
        if extra == version:
            raise JsonRESTError(
                "InvalidParameterValueException",
                f"Invalid function version {extra}. Function version {extra} is already included in routing configuration.",
            )
    return _update_alias_response(self)


lambda_models.LambdaAlias.update = _alias_update_with_new_revision
lambda_responses.LambdaResponse.update_alias = _update_alias_checked

# --- Lambda: provisioned concurrency ----------------------------------------------------------------

# Seconds a configuration stays IN_PROGRESS before it is READY (AWS takes minutes; tests want a moment).
_PC_READY_SECONDS = float(os.environ.get("MOTO_PROVISIONED_CONCURRENCY_READY_SECONDS", "1"))
# A version whose environment has this variable set to FAILED never gets ready: its configuration ends
# FAILED, as when the function's initialisation fails.
_PC_FAIL_VARIABLE = "MOTO_PROVISIONED_CONCURRENCY"
_ACCOUNT_CONCURRENCY = 1000
_UNRESERVED_MINIMUM = 100
_PC_URL = r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/provisioned-concurrency/?$"


def _pc_configs(backend):
    """(function name, qualifier) -> config, per account and Region; reset with the backend."""
    if not hasattr(backend, "fledge_pc_configs"):
        backend.fledge_pc_configs = {}
    return backend.fledge_pc_configs


def _pc_refresh(config, now):
    if config["Status"] == "IN_PROGRESS" and now >= config["ready_at"]:
        if config["fails"]:
            config.update(Status="FAILED", StatusReason="FUNCTION_ERROR_INIT_FAILURE: initialization failed")
        else:
            config.update(
                Status="READY",
                AllocatedProvisionedConcurrentExecutions=config["RequestedProvisionedConcurrentExecutions"],
                AvailableProvisionedConcurrentExecutions=config["RequestedProvisionedConcurrentExecutions"],
            )
    return config


def _pc_view(config, with_arn=False):
    view = {k: v for k, v in config.items() if k[0].isupper()}
    if not with_arn:
        view.pop("FunctionArn", None)
    return view


def _pc_target(backend, function_name, qualifier):
    """The alias (or None) and the version a qualifier names, refusing what Lambda refuses."""
    function = backend.get_function(function_name)
    if not qualifier or qualifier == "$LATEST":
        raise JsonRESTError(
            "InvalidParameterValueException",
            "Provisioned Concurrency Configs cannot be applied to unpublished function versions.",
        )
    aliases = {a.name: a for a in backend.list_aliases(function.function_name)}
    if qualifier in aliases:
        alias = aliases[qualifier]
        return alias, backend.get_function(function.function_name, alias.function_version)
    if not qualifier.isdigit():
        raise _lambda_error(404, "ResourceNotFoundException", f"Function not found: {function.function_arn}:{qualifier}")
    return None, backend.get_function(function.function_name, qualifier)


def _pc_refuse_weighted_alias(alias):
    if alias is not None and (alias.routing_config or {}).get("AdditionalVersionWeights"):
        raise JsonRESTError(
            "InvalidParameterValueException", "Alias with weights can not be used with Provisioned Concurrency"
        )


def _pc_refuse_alias_and_version(backend, name, qualifier, alias, version):
    # Lambda keeps provisioned concurrency on an alias or on the version it points to, never on both.
    configs = _pc_configs(backend)
    if alias is not None and (name, str(version.version)) in configs:
        raise _lambda_error(
            409,
            "ResourceConflictException",
            f"Alias {qualifier} points to version {version.version}, which already has provisioned concurrency",
        )
    if alias is None:
        for other in backend.list_aliases(name):
            if other.function_version == qualifier and (name, other.name) in configs:
                raise _lambda_error(
                    409,
                    "ResourceConflictException",
                    f"Version {qualifier} is alias {other.name}'s, which already has provisioned concurrency",
                )


def _pc_refuse_over_capacity(backend, name, qualifier, requested):
    # Reserved concurrency is the function's, whatever the version.
    reserved = backend.get_function(name).reserved_concurrency
    if reserved is not None and requested > int(reserved):
        raise JsonRESTError(
            "InvalidParameterValueException",
            "Requested Provisioned Concurrency should not be greater than the reservedConcurrentExecution for function",
        )
    others = sum(
        c["RequestedProvisionedConcurrentExecutions"]
        for key, c in _pc_configs(backend).items()
        if key != (name, qualifier)
    )
    if others + requested > _ACCOUNT_CONCURRENCY - _UNRESERVED_MINIMUM:
        raise JsonRESTError(
            "InvalidParameterValueException",
            f"Specified ConcurrentExecutions for function decreases account's UnreservedConcurrentExecution "
            f"below its minimum value of [{_UNRESERVED_MINIMUM}].",
        )


def _pc_request(self):
    name = self.backend.get_function(unquote(self.path.rsplit("/", 2)[-2])).function_name
    qualifier = self.querystring.get("Qualifier", [None])[0]
    return name, qualifier


def _pc_not_found():
    return _lambda_error(
        404,
        "ProvisionedConcurrencyConfigNotFoundException",
        "No Provisioned Concurrency Config found for this function",
    )


def _lambda_error(status, error_type, message):
    error = JsonRESTError(error_type, message)
    error.code = status
    return error


def _put_provisioned_concurrency_config(self):
    name, qualifier = _pc_request(self)
    alias, version = _pc_target(self.backend, name, qualifier)
    requested = json.loads(self.body or "{}").get("ProvisionedConcurrentExecutions")
    if not isinstance(requested, int) or requested < 1:
        raise JsonRESTError(
            "ValidationException",
            f"1 validation error detected: Value '{requested}' at 'provisionedConcurrentExecutions' failed to "
            "satisfy constraint: Member must have value greater than or equal to 1",
        )
    _pc_refuse_weighted_alias(alias)
    _pc_refuse_alias_and_version(self.backend, name, qualifier, alias, version)
    _pc_refuse_over_capacity(self.backend, name, qualifier, requested)
    config = _pc_new_config(f"{version.function_arn.rsplit(':', 1)[0]}:{qualifier}", requested, version)
    _pc_configs(self.backend)[(name, qualifier)] = config
    return 202, {"status": 202}, json.dumps(_pc_view(config))


def _pc_new_config(arn, requested, version):
    now = time.time()
    return {
        "FunctionArn": arn,
        "RequestedProvisionedConcurrentExecutions": requested,
        "AvailableProvisionedConcurrentExecutions": 0,
        "AllocatedProvisionedConcurrentExecutions": 0,
        "Status": "IN_PROGRESS",
        "LastModified": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "ready_at": now + _PC_READY_SECONDS,
        "fails": (version.environment_vars or {}).get(_PC_FAIL_VARIABLE) == "FAILED",
    }


def _get_provisioned_concurrency_config(self):
    if "List" in self.querystring:
        return _list_provisioned_concurrency_configs(self)
    name, qualifier = _pc_request(self)
    config = _pc_configs(self.backend).get((name, qualifier))
    if config is None:
        raise _pc_not_found()
    return 200, {}, json.dumps(_pc_view(_pc_refresh(config, time.time())))


def _list_provisioned_concurrency_configs(self):
    if "List" not in self.querystring:
        return _get_provisioned_concurrency_config(self)
    name, _ = _pc_request(self)
    now = time.time()
    configs = [
        _pc_view(_pc_refresh(config, now), with_arn=True)
        for (function, _), config in sorted(_pc_configs(self.backend).items())
        if function == name
    ]
    return 200, {}, json.dumps({"ProvisionedConcurrencyConfigs": configs})


def _delete_provisioned_concurrency_config(self):
    name, qualifier = _pc_request(self)
    alias, _ = _pc_target(self.backend, name, qualifier)
    _pc_refuse_weighted_alias(alias)
    if _pc_configs(self.backend).pop((name, qualifier), None) is None:
        raise _pc_not_found()
    return 204, {"status": 204}, ""


def _update_alias_moving_provisioned_concurrency(self):
    """Provisioned concurrency on an alias follows the alias to its new version, allocated anew."""
    function_name = self.backend.get_function(unquote(self.path.rsplit("/")[-3])).function_name
    alias_name = unquote(self.path.rsplit("/", 2)[-1])
    params = json.loads(self.body or "{}")
    config = _pc_configs(self.backend).get((function_name, alias_name))
    before = self.backend.get_alias(name=alias_name, function_name=function_name).function_version
    moving = config is not None and params.get("FunctionVersion") not in (None, before)
    response = _update_alias_checked(self)
    if moving:
        version = self.backend.get_function(function_name, params["FunctionVersion"])
        fresh = _pc_new_config(config["FunctionArn"], config["RequestedProvisionedConcurrentExecutions"], version)
        config.clear()
        config.update(fresh)
    return response


lambda_urls.url_paths[_PC_URL] = lambda_responses.LambdaResponse.dispatch
lambda_responses.LambdaResponse.put_provisioned_concurrency_config = _put_provisioned_concurrency_config
lambda_responses.LambdaResponse.get_provisioned_concurrency_config = _get_provisioned_concurrency_config
lambda_responses.LambdaResponse.list_provisioned_concurrency_configs = _list_provisioned_concurrency_configs
lambda_responses.LambdaResponse.delete_provisioned_concurrency_config = _delete_provisioned_concurrency_config
lambda_responses.LambdaResponse.update_alias = _update_alias_moving_provisioned_concurrency

# --- Route 53: atomic batches, exact DELETEs, valid addresses ---------------------------------------


class _InvalidChangeBatch(Route53ClientError):
    def __init__(self, message):
        super().__init__("InvalidChangeBatch", message)


def _name(value):
    return (value or "").lower().rstrip(".")


def _identity(record):
    """(name, type, SetIdentifier): what Route 53 calls one record."""
    if isinstance(record, route53_models.RecordSet):
        return (_name(record.name), record.type, record.set_identifier)
    return (_name(record.get("Name")), record.get("Type"), record.get("SetIdentifier"))


def _values(record):
    """What a DELETE must repeat, normalised (moto stores strings, the request carries typed values)."""
    if isinstance(record, route53_models.RecordSet):
        ttl, values, weight, alias, health = (
            record.ttl,
            record.records or [],
            record.weight,
            record.alias_target,
            record.health_check_id,
        )
    else:
        ttl = record.get("TTL")
        values = record.get("ResourceRecords") or []
        weight, alias, health = record.get("Weight"), record.get("AliasTarget"), record.get("HealthCheckId")
    values = sorted(v["Value"] if isinstance(v, dict) else v for v in values)
    if alias:
        alias = (
            _name(alias.get("DNSName")),
            alias.get("HostedZoneId"),
            str(alias.get("EvaluateTargetHealth", False)).lower(),
        )
        ttl, values = None, []
    else:
        ttl = None if ttl in (None, "") else str(int(ttl))
    return (ttl, values, None if weight in (None, "") else str(int(weight)), alias, health or None)


def _describe(record):
    name, type_, set_id = _identity(record)
    return f"[name='{name}.', type='{type_}'" + (f", set-identifier='{set_id}'" if set_id else "") + "]"


def _check_addresses(record):
    type_ = record.get("Type")
    if type_ not in ("A", "AAAA") or record.get("AliasTarget"):
        return
    for value in record.get("ResourceRecords") or []:
        text = value["Value"] if isinstance(value, dict) else value
        try:
            address = ipaddress.ip_address(text)
        except ValueError:
            address = None
        if address is None or (type_ == "A") != (address.version == 4):
            code = "ARRDATAIllegalIPv4Address" if type_ == "A" else "AAAARRDATAIllegalIPv6Address"
            raise _InvalidChangeBatch(
                f"[Invalid Resource Record: 'FATAL problem: {code} (Value is not a valid "
                f"{'IPv4' if type_ == 'A' else 'IPv6'} address) encountered with '{text}'']"
            )


def _change_resource_record_sets_atomically(self, zoneid, change_list):
    zone = self.get_hosted_zone(zoneid)
    # Check the whole batch against the zone as the batch changes it; apply nothing unless all pass.
    state = {_identity(r): r for r in zone.rrsets}
    for change in change_list:
        action, record = change["Action"], change["ResourceRecordSet"]
        route53_models.validate_domain_name(record["Name"], code="InvalidChangeBatch")
        key = _identity(record)
        if action in ("CREATE", "UPSERT"):
            _check_addresses(record)
        if action == "CREATE":
            if key in state:
                raise _InvalidChangeBatch(
                    f"Tried to create resource record set {_describe(record)} but it already exists"
                )
            state[key] = record
        elif action == "UPSERT":
            state[key] = record
        elif action == "DELETE":
            current = state.get(key)
            if current is None:
                raise _InvalidChangeBatch(
                    f"Tried to delete resource record set {_describe(record)} but it was not found"
                )
            if _values(current) != _values(record):
                raise _InvalidChangeBatch(
                    f"Tried to delete resource record set {_describe(record)} but the values provided "
                    "do not match the current values"
                )
            del state[key]
    # Every change passed: apply them in order, each DELETE removing exactly the record it names.
    for change in change_list:
        if change["Action"] == "DELETE":
            key = _identity(change["ResourceRecordSet"])
            zone.rrsets = [r for r in zone.rrsets if _identity(r) != key]
            zone.rr_changes.append(change)
        else:
            _apply_one(self, zoneid, change)


_original_change = route53_models.Route53Backend.change_resource_record_sets


def _apply_one(self, zoneid, change):
    # moto's own code applies a CREATE/UPSERT (normalising names and values as it stores them); its
    # pre-checks are the ones replaced above, so keep them from refusing what was just validated.
    zone = self.get_hosted_zone(zoneid)
    changes, zone.rr_changes = zone.rr_changes, route53_models.ChangeList()
    try:
        _original_change(self, zoneid, [change])
    finally:
        changes.extend(zone.rr_changes)
        zone.rr_changes = changes


route53_models.Route53Backend.change_resource_record_sets = _change_resource_record_sets_atomically

# --- ELBv2: forward actions as ELB takes them --------------------------------------------------------

_MAX_WEIGHT = 999
_MAX_TARGET_GROUPS_PER_ACTION = 5
_validate_actions = elbv2_models.ELBv2Backend._validate_actions


def _validate_forward_weights(self, actions):
    for a, action in enumerate(actions, start=1):
        groups = (action.data.get("ForwardConfig") or {}).get("TargetGroups") or []
        if len(groups) > _MAX_TARGET_GROUPS_PER_ACTION:
            raise elbv2_exceptions.ValidationError(
                f"A forward action can have at most {_MAX_TARGET_GROUPS_PER_ACTION} target groups "
                f"(actions.member.{a} has {len(groups)})"
            )
        for g, group in enumerate(groups, start=1):
            weight = int(group.get("Weight", 1))
            if not (0 <= weight <= _MAX_WEIGHT):
                raise elbv2_exceptions.ValidationError(
                    f"1 validation error detected: Value '{weight}' at "
                    f"'actions.{a}.member.forwardConfig.targetGroups.{g}.member.weight' failed to satisfy "
                    f"constraint: Member must have value {'less than or equal to 999' if weight > 0 else 'greater than or equal to 0'}"
                )
    _validate_actions(self, actions)


_modify_listener = elbv2_models.ELBv2Backend.modify_listener


def _modify_listener_validated(self, arn, port=None, protocol=None, ssl_policy=None, certificates=None, actions=None):
    # moto takes a listener's new default actions unchecked, and changes its port first.
    if actions:
        _validate_forward_weights(self, [elbv2_models.FakeAction(copy.deepcopy(a)) for a in actions])
    return _modify_listener(self, arn, port, protocol, ssl_policy, certificates, actions)


elbv2_models.ELBv2Backend._validate_actions = _validate_forward_weights
elbv2_models.ELBv2Backend.modify_listener = _modify_listener_validated

# --- CloudFormation, IAM and EventBridge, for the deploy tests ---------------------------------------

_clean_json = parsing.clean_json


def _clean_json_sub_map(resource_json, resources_map):
    if isinstance(resource_json, dict) and isinstance(resource_json.get("Fn::Sub"), list):
        template, variables = resource_json["Fn::Sub"]
        for name, value in variables.items():
            resolved = str(_clean_json_sub_map(value, resources_map))
            template = template.replace("${" + name + "}", resolved)
        return _clean_json({"Fn::Sub": template}, resources_map)
    return _clean_json(resource_json, resources_map)


# clean_json recurses through the module global, so nested Fn::Sub maps are handled too.
parsing.clean_json = _clean_json_sub_map


_check_element_matches = access_control.IAMPolicyStatement._check_element_matches


def _actions_only(self, statement_element, value):
    if statement_element == "Resource":
        return True
    return _check_element_matches(self, statement_element, value)


# IAM action names where the signing name or the operation name differs from IAM's.
_IAM_ACTIONS = {"monitoring": "cloudwatch", "lambda:Invoke": "lambda:InvokeFunction"}
_request_init = access_control.IAMRequestBase.__init__


def _request_with_iam_action(self, *args, **kwargs):
    _request_init(self, *args, **kwargs)
    service, _, operation = self._action.partition(":")
    action = f"{_IAM_ACTIONS.get(service, service)}:{operation}"
    self._action = _IAM_ACTIONS.get(action, action)


class _JsonAuthError(JsonRESTError):
    code = 403


def _json_protocol(request):
    content_type = request._headers.get("Content-Type") or ""
    return content_type.startswith("application/x-amz-json") or request._service == "lambda"


def _json_error(raise_xml, error_type, message):
    def _raise(self, *args):
        if _json_protocol(self):
            raise _JsonAuthError(error_type, message(self))
        raise_xml(self, *args)

    return _raise


_policy_init = access_control.IAMPolicy.__init__


def _policy_object_too(self, policy):
    if isinstance(policy, dict) and "policy_document" not in policy:
        policy = json.dumps(policy)
    _policy_init(self, policy)


access_control.IAMPolicy.__init__ = _policy_object_too

access_control.IAMPolicyStatement._check_element_matches = _actions_only
access_control.IAMRequestBase.__init__ = _request_with_iam_action
access_control.IAMRequest._raise_access_denied = _json_error(
    access_control.IAMRequest._raise_access_denied,
    "AccessDeniedException",
    lambda r: f"User: {r._access_key.arn} is not authorized to perform: {r._action}",
)
access_control.IAMRequest._raise_invalid_access_key = _json_error(
    access_control.IAMRequest._raise_invalid_access_key,
    "UnrecognizedClientException",
    lambda r: "The security token included in the request is invalid.",
)
access_control.IAMRequest._raise_signature_does_not_match = _json_error(
    access_control.IAMRequest._raise_signature_does_not_match,
    "InvalidSignatureException",
    lambda r: "The request signature we calculated does not match the signature you provided.",
)


_send_to_targets = events_models.Rule.send_to_targets


def _send_as_eventbridge(self, original_event, transform_input=True):
    if self.scheduled_expression and not self.event_pattern.get_pattern():
        return
    # One target at a time: moto stops at the first target it cannot deliver to, so a queue listed after
    # a Step Functions target would never get the event.
    targets = self.targets
    try:
        for target in targets:
            self.targets = [target]
            try:
                _send_to_targets(self, copy.deepcopy(original_event), transform_input)
            except NotImplementedError:
                pass
    finally:
        self.targets = targets


events_models.Rule.send_to_targets = _send_as_eventbridge


# --- API Gateway: the REST stage canary ---------------------------------------------------------------

_CANARY = "/canarySettings"


def _canary_percent(value):
    try:
        percent = float(value)
    except (TypeError, ValueError):
        percent = None
    if percent is None or not (0.0 <= percent <= 100.0):
        raise apigateway_exceptions.BadRequestException(
            f"Invalid percentTraffic '{value}' in canarySettings: it must be a number from 0.0 to 100.0"
        )
    return percent


def _canary_of(stage, create=False):
    if stage.canary_settings is None and create:
        # "A deployment ID, initially identical to the ID of the base version deployment set on the stage."
        stage.canary_settings = {"deploymentId": stage.deployment_id, "percentTraffic": 0.0, "useStageCache": False}
    if stage.canary_settings is None:
        raise apigateway_exceptions.BadRequestException(
            f"Stage {stage.name} has no canarySettings: attach a canary (/canarySettings/deploymentId) first"
        )
    return stage.canary_settings


def _apply_canary_operation(stage, api, op):
    kind, path, source = op.get("op"), op.get("path") or "", op.get("from") or ""
    if kind == "copy" and source.startswith(_CANARY):
        canary = _canary_of(stage)
        if source == f"{_CANARY}/deploymentId" and path == "/deploymentId":
            stage.deployment_id = canary["deploymentId"]
        elif source == f"{_CANARY}/stageVariableOverrides" and path == "/variables":
            stage.variables = {**stage.variables, **canary.get("stageVariableOverrides", {})}
        else:
            raise apigateway_exceptions.BadRequestException(f"Invalid patch path '{source}' to '{path}' for copy")
    elif kind == "remove" and path == _CANARY:
        stage.canary_settings = None
    elif path == f"{_CANARY}/deploymentId" and kind in ("add", "replace"):
        if op.get("value") not in api.deployments:
            raise apigateway_exceptions.BadRequestException(
                f"Invalid deployment id '{op.get('value')}' for /canarySettings/deploymentId: no such deployment"
            )
        _canary_of(stage, create=True)["deploymentId"] = op["value"]
    elif path == f"{_CANARY}/percentTraffic" and kind in ("add", "replace"):
        _canary_of(stage, create=True)["percentTraffic"] = _canary_percent(op.get("value"))
    elif path == f"{_CANARY}/useStageCache" and kind in ("add", "replace"):
        _canary_of(stage, create=True)["useStageCache"] = str(op.get("value")).lower() == "true"
    elif path.startswith(f"{_CANARY}/stageVariableOverrides/") and kind in ("add", "replace", "remove"):
        name = path.split("/", 3)[3]
        overrides = _canary_of(stage, create=kind != "remove").setdefault("stageVariableOverrides", {})
        if kind == "remove":
            overrides.pop(name, None)
        else:
            overrides[name] = op.get("value")
    else:
        raise apigateway_exceptions.BadRequestException(f"Invalid patch path '{path}' for op '{kind}'")


def _is_canary_operation(op):
    return (op.get("path") or "").startswith(_CANARY) or (op.get("from") or "").startswith(_CANARY)


_stage_init = apigateway_models.Stage.__init__
_stage_to_json = apigateway_models.Stage.to_json
_stage_apply = apigateway_models.Stage.apply_operations


def _stage_with_canary(self, *args, **kwargs):
    _stage_init(self, *args, **kwargs)
    self.canary_settings = None


def _stage_json_with_canary(self):
    data = _stage_to_json(self)
    if self.canary_settings is not None:
        data["canarySettings"] = copy.deepcopy(self.canary_settings)
    return data


# moto matches these by substring, so the developer guide's wrong `/canary/deploymentId` would move the
# stage's own deployment; API Gateway refuses a path it does not know.
_STAGE_PATHS = ("/deploymentId", "/description", "/cacheClusterEnabled", "/cacheClusterSize")


def _check_stage_path(op):
    path = op.get("path") or ""
    if path.startswith("/canary") or (any(p in path for p in _STAGE_PATHS) and path not in _STAGE_PATHS):
        raise apigateway_exceptions.BadRequestException(f"Invalid patch path '{path}' for op '{op.get('op')}'")


def _update_stage_with_canary(self, function_id, stage_name, patch_operations):
    # One UpdateStage is one change: apply the operations in order to a copy, keep it only if all pass.
    api = self.get_rest_api(function_id)
    stage = self.get_stage(function_id, stage_name)
    draft = copy.deepcopy(stage)
    for op in patch_operations or []:
        if _is_canary_operation(op):
            _apply_canary_operation(draft, api, op)
        else:
            _check_stage_path(op)
            _stage_apply(draft, [op])
    stage.__dict__.update(draft.__dict__)
    return stage


_create_deployment_response = apigateway_responses.APIGatewayResponse.create_deployment


def _create_deployment_with_canary(self):
    function_id = self.path.replace("/restapis/", "", 1).split("/")[0]
    stage_name = self._get_param("stageName")
    canary = self._get_param("canarySettings")
    api = self.backend.get_rest_api(function_id)
    stage = api.stages.get(stage_name) if stage_name else None
    if canary is None:
        if stage is not None and stage.canary_settings is not None:
            raise apigateway_exceptions.BadRequestException(
                f"Invalid deployment content specified.Non canary deployment not supported on stage "
                f"{stage_name} because Canary is enabled. Provide CanarySettings in deploymentInput."
            )
        return _deploy_keeping_the_stage(self, api, stage)
    if stage is None:
        raise apigateway_exceptions.BadRequestException(
            f"Invalid deployment content specified.Stage {stage_name} must already be created before "
            "making a canary release deployment"
        )
    percent = _canary_percent(canary.get("percentTraffic", 0.0))
    # The new deployment becomes the stage's canary; the stage keeps serving its own deployment.
    status, headers, body = _deploy_keeping_the_stage(self, api, stage, canary=True)
    stage.canary_settings = {
        "deploymentId": json.loads(body)["id"],
        "percentTraffic": percent,
        "stageVariableOverrides": dict(canary.get("stageVariableOverrides") or {}),
        "useStageCache": bool(canary.get("useStageCache", False)),
    }
    return status, headers, body


def _deploy_keeping_the_stage(self, api, stage, canary=False):
    # moto replaces an existing stage with a fresh one (losing its settings, canary and tags); API Gateway
    # only points the stage at the new deployment (and, for a canary deployment, not even that).
    if stage is None:
        return _create_deployment_response(self)
    deployment_id, variables = stage.deployment_id, stage.variables
    try:
        return _create_deployment_response(self)
    finally:
        api.stages[stage.name], new = stage, api.stages.get(stage.name)
        if not canary and new is not None and new is not stage:
            stage.deployment_id = new.deployment_id
            stage.variables = {**variables, **(new.variables or {})}
        elif canary:
            stage.deployment_id, stage.variables = deployment_id, variables


apigateway_models.Stage.__init__ = _stage_with_canary
apigateway_models.Stage.to_json = _stage_json_with_canary
apigateway_models.APIGatewayBackend.update_stage = _update_stage_with_canary
apigateway_responses.APIGatewayResponse.create_deployment = _create_deployment_with_canary

def _filtered_metrics_once_each(self, metric_name, namespace, dimensions):
    wanted = [cloudwatch_models.Dimension(d["Name"], d.get("Value")) for d in dimensions or []]
    listed, seen = [], set()
    for datum in self.get_all_metrics():
        if namespace and namespace != datum.namespace:
            continue
        if metric_name and metric_name != datum.name:
            continue
        key = (datum.namespace, datum.name, frozenset((d.name, d.value) for d in datum.dimensions))
        if datum.dimensions and key in seen:
            continue
        if wanted and any(w not in datum.dimensions for w in wanted):
            continue
        seen.add(key)
        listed.append(datum)
    return listed


cloudwatch_models.CloudWatchBackend.get_filtered_metrics = _filtered_metrics_once_each

class _TablesByReference:
    """The `copy` moto's DynamoDB backend sees: a table is "copied" as itself, anything else as before.

    moto undoes a cancelled TransactWriteItems by deep-copying every table it names first, once per
    item of the transaction: with a few thousand items in a table that holds the interpreter for
    seconds, and every other request waits (the release fault matrix's Plans timed out on it). The
    transaction below keeps the items it names instead, which is all a transaction can change.
    """

    @staticmethod
    def deepcopy(value, memo=None):
        return value if isinstance(value, DynamoDbTable) else copy.deepcopy(value, memo)


def _transaction_keys(backend, transact_items):
    keys = []
    for entry in transact_items:
        op_type, op = next(iter(entry.items()))
        table = backend.tables.get(op.get("TableName"))
        source = op.get("Item") if op_type == "Put" else op.get("Key")
        if table is None or not isinstance(source, dict) or table.hash_key_attr not in source:
            continue
        hash_value = DynamoType(source[table.hash_key_attr])
        range_attr = table.range_key_attr
        range_value = DynamoType(source[range_attr]) if range_attr and range_attr in source else None
        if range_attr and range_value is None:
            continue
        keys.append((table, hash_value, range_value))
    return keys


def _restore(table, hash_value, range_value, item):
    if range_value is not None:
        if item is None:
            table.items.get(hash_value, {}).pop(range_value, None)
        else:
            table.items[hash_value][range_value] = item
    elif item is None:
        table.items.pop(hash_value, None)
    else:
        table.items[hash_value] = item


_transact_write_items = dynamodb_models.DynamoDBBackend.transact_write_items


def _transact_write_items_keeping_its_items(self, transact_items):
    kept = [
        (table, h, r, copy.deepcopy(table.get_item(h, r)))
        for table, h, r in _transaction_keys(self, transact_items)
    ]
    try:
        return _transact_write_items(self, transact_items)
    except Exception:
        # moto put its "copies" (the tables themselves) back; put back what the items were.
        for table, h, r, item in reversed(kept):
            _restore(table, h, r, item)
        raise


dynamodb_models.copy = _TablesByReference
dynamodb_models.DynamoDBBackend.transact_write_items = _transact_write_items_keeping_its_items

_MOTO_MODULES = tuple(moto_backends.list_of_moto_modules())
moto_backends.list_of_moto_modules = lambda: _MOTO_MODULES
logging.getLogger("werkzeug").setLevel(logging.WARNING)

if __name__ == "__main__":
    sys.exit(main())
