"""moto's server, with its Route 53 CREATE check replaced by the one AWS makes.

moto refuses a CREATE that is identical to any CREATE it has ever applied in the zone while a record of
that name and type exists, even when the same batch first DELETEs that record. Route 53 applies a batch
as one transaction and refuses a CREATE only if the record (name, type, SetIdentifier) exists at that
point. fledge's DELETE-then-CREATE batches are the documented way to change a record atomically, so a
rollback to the weights a record once had is refused by moto and accepted by AWS. This wrapper makes
moto check what AWS checks. Used by local/moto.ts for the demo and the tests.

Two more fixes serve the deploy tests (test/deploy/), which deploy the packaged template into moto's
CloudFormation and run it with IAM enforced:

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
  raises for a target it cannot deliver to (Lambda, Step Functions), so PutEvents fails with HTTP 500.
  Here a scheduled rule matches no event that is put, and an undeliverable target is skipped: AWS
  delivers to targets after PutEvents has answered, so its answer never depends on them.
"""

import json
import sys

from moto.cloudformation import parsing
from moto.core.exceptions import JsonRESTError
from moto.events import models as events_models
from moto.iam import access_control
from moto.route53 import models
from moto.route53.exceptions import ResourceRecordAlreadyExists
from moto.server import main


def _history_is_not_state(self, item):
    # Only the CREATE pre-check asks the change history for membership; state is checked below.
    return False


_add_rrset = models.FakeZone.add_rrset


def _add_rrset_if_absent(self, record_set):
    new = models.RecordSet(record_set)
    for existing in self.rrsets:
        if (existing.name, existing.type, existing.set_identifier) == (new.name, new.type, new.set_identifier):
            raise ResourceRecordAlreadyExists(name=new.name, _type=new.type)
    return _add_rrset(self, record_set)


models.ChangeList.__contains__ = _history_is_not_state
models.FakeZone.add_rrset = _add_rrset_if_absent


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
    try:
        _send_to_targets(self, original_event, transform_input)
    except NotImplementedError:
        pass


events_models.Rule.send_to_targets = _send_as_eventbridge

if __name__ == "__main__":
    sys.exit(main())
