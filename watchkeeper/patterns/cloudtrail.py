"""What a real CloudTrail record can look like: event table, field schema, record builder.

Coverage is judged over events that can really occur, so the search in ``cover.py`` asks
this module which values a field may take and whether a combination is coherent
(``CreateTrail`` only comes from ``cloudtrail.amazonaws.com``; service events are made by
``AWSService`` identities; sign-in events come from ``signin.amazonaws.com``).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

# Event name -> the services (eventSource) that emit it. Every name the CIS monitoring
# patterns use is here, with the other services that reuse some of those names, plus a few
# everyday names per service used as realistic "some other event" values.
_SERVICES: dict[str, list[str]] = {
    "cloudtrail.amazonaws.com": [
        "CreateTrail",
        "UpdateTrail",
        "DeleteTrail",
        "StartLogging",
        "StopLogging",
        "PutEventSelectors",
        "PutInsightSelectors",
        "DescribeTrails",
        "GetTrailStatus",
        "LookupEvents",
    ],
    "iam.amazonaws.com": [
        "DeleteGroupPolicy",
        "DeleteRolePolicy",
        "DeleteUserPolicy",
        "PutGroupPolicy",
        "PutRolePolicy",
        "PutUserPolicy",
        "CreatePolicy",
        "DeletePolicy",
        "CreatePolicyVersion",
        "DeletePolicyVersion",
        "AttachRolePolicy",
        "DetachRolePolicy",
        "AttachUserPolicy",
        "DetachUserPolicy",
        "AttachGroupPolicy",
        "DetachGroupPolicy",
        "CreateUser",
        "DeleteUser",
        "CreateAccessKey",
        "ListUsers",
        "GetRole",
        "SetDefaultPolicyVersion",
    ],
    "organizations.amazonaws.com": [
        "AcceptHandshake",
        "AttachPolicy",
        "CreateAccount",
        "CreateOrganizationalUnit",
        "CreatePolicy",
        "DeclineHandshake",
        "DeleteOrganization",
        "DeleteOrganizationalUnit",
        "DeletePolicy",
        "DetachPolicy",
        "DisablePolicyType",
        "EnablePolicyType",
        "InviteAccountToOrganization",
        "LeaveOrganization",
        "MoveAccount",
        "RemoveAccountFromOrganization",
        "UpdatePolicy",
        "UpdateOrganizationalUnit",
        "ListAccounts",
        "DescribeOrganization",
    ],
    "iot.amazonaws.com": [
        "CreatePolicy",
        "DeletePolicy",
        "AttachPolicy",
        "DetachPolicy",
        "ListThings",
    ],
    "kms.amazonaws.com": [
        "DisableKey",
        "ScheduleKeyDeletion",
        "EnableKey",
        "CancelKeyDeletion",
        "CreateKey",
        "Decrypt",
        "GenerateDataKey",
    ],
    "s3.amazonaws.com": [
        "PutBucketAcl",
        "PutBucketPolicy",
        "PutBucketCors",
        "PutBucketLifecycle",
        "PutBucketReplication",
        "DeleteBucketPolicy",
        "DeleteBucketCors",
        "DeleteBucketLifecycle",
        "DeleteBucketReplication",
        "CreateBucket",
        "DeleteBucket",
        "PutBucketTagging",
        "ListBuckets",
        "HeadBucket",
        "GetBucketAcl",
        "GetObject",
        "PutObject",
        "DeleteObject",
    ],
    "config.amazonaws.com": [
        "StopConfigurationRecorder",
        "DeleteDeliveryChannel",
        "PutDeliveryChannel",
        "PutConfigurationRecorder",
        "StartConfigurationRecorder",
        "DeleteConfigurationRecorder",
        "DescribeConfigRules",
    ],
    "ec2.amazonaws.com": [
        "AuthorizeSecurityGroupIngress",
        "AuthorizeSecurityGroupEgress",
        "RevokeSecurityGroupIngress",
        "RevokeSecurityGroupEgress",
        "CreateSecurityGroup",
        "DeleteSecurityGroup",
        "ModifySecurityGroupRules",
        "CreateNetworkAcl",
        "CreateNetworkAclEntry",
        "DeleteNetworkAcl",
        "DeleteNetworkAclEntry",
        "ReplaceNetworkAclEntry",
        "ReplaceNetworkAclAssociation",
        "CreateCustomerGateway",
        "DeleteCustomerGateway",
        "AttachInternetGateway",
        "CreateInternetGateway",
        "DeleteInternetGateway",
        "DetachInternetGateway",
        "CreateRoute",
        "CreateRouteTable",
        "ReplaceRoute",
        "ReplaceRouteTableAssociation",
        "DeleteRouteTable",
        "DeleteRoute",
        "DisassociateRouteTable",
        "CreateVpc",
        "DeleteVpc",
        "ModifyVpcAttribute",
        "AcceptVpcPeeringConnection",
        "CreateVpcPeeringConnection",
        "DeleteVpcPeeringConnection",
        "RejectVpcPeeringConnection",
        "AttachClassicLinkVpc",
        "DetachClassicLinkVpc",
        "DisableVpcClassicLink",
        "EnableVpcClassicLink",
        "AssociateRouteTable",
        "RunInstances",
        "DescribeInstances",
        "TerminateInstances",
    ],
    # API Gateway v2 also has CreateRoute/DeleteRoute: why CIS v3 pins eventSource.
    "apigateway.amazonaws.com": ["CreateRoute", "DeleteRoute", "UpdateRoute", "GetApis"],
    "signin.amazonaws.com": [
        "ConsoleLogin",
        "CheckMfa",
        "SwitchRole",
        "ExitRole",
        "RenewRole",
        "CredentialChallenge",
        "CredentialVerification",
    ],
    "sts.amazonaws.com": ["AssumeRole", "GetCallerIdentity", "GetSessionToken"],
    "securityhub.amazonaws.com": ["EnableSecurityHub", "DisableSecurityHub", "GetFindings"],
    "lambda.amazonaws.com": ["CreateFunction20150331", "ListFunctions20150331", "Invoke"],
    "logs.amazonaws.com": ["PutMetricFilter", "DeleteMetricFilter", "CreateLogGroup"],
    "sns.amazonaws.com": ["CreateTopic", "DeleteTopic", "Subscribe", "Unsubscribe"],
    "cloudwatch.amazonaws.com": ["PutMetricAlarm", "DeleteAlarms", "DisableAlarmActions"],
}

EVENT_SOURCES: dict[str, tuple[str, ...]] = {}
for _svc, _names in _SERVICES.items():
    for _n in _names:
        EVENT_SOURCES[_n] = (*EVENT_SOURCES.get(_n, ()), _svc)

SERVICES: tuple[str, ...] = tuple(_SERVICES)
# data events (eventCategory Data, managementEvent false); every other table name is a
# management event
DATA_EVENTS = frozenset({"GetObject", "PutObject", "DeleteObject", "Invoke"})
SERVICE_EVENTS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _SERVICES.items()}
SIGNIN = "signin.amazonaws.com"

EVENT_TYPES = ("AwsApiCall", "AwsServiceEvent", "AwsConsoleAction", "AwsConsoleSignIn")
IDENTITY_TYPES = (
    "IAMUser",
    "AssumedRole",
    "Root",
    "AWSService",
    "AWSAccount",
    "FederatedUser",
    "SAMLUser",
    "WebIdentityUser",
    "IdentityCenterUser",
    "Unknown",
)
EVENT_CATEGORIES = ("Management", "Data")
_READ_PREFIXES = ("Describe", "Get", "List", "Head", "Lookup")

Kind = Literal["string", "bool", "object", "object_or_null", "enum", "free", "array"]


@dataclass(frozen=True)
class FieldSpec:
    """What a known CloudTrail field can be."""

    kind: Kind
    required: bool
    enum: tuple[str, ...] = ()
    pool: tuple[str, ...] = ()  # realistic values, preferred when building examples
    open_children: bool = False  # unknown sub-keys may occur (free-form payloads)


_S = FieldSpec
SCHEMA: dict[tuple[str, ...], FieldSpec] = {
    ("eventVersion",): _S("string", True, pool=("1.08", "1.09", "1.10")),
    ("userIdentity",): _S("object", True),
    ("userIdentity", "type"): _S("enum", True, enum=IDENTITY_TYPES),
    ("userIdentity", "principalId"): _S("string", False, pool=("AIDAEXAMPLEPRINCIPAL",)),
    ("userIdentity", "arn"): _S("string", False, pool=("arn:aws:iam::111122223333:user/alice",)),
    ("userIdentity", "accountId"): _S("string", False, pool=("111122223333",)),
    ("userIdentity", "accessKeyId"): _S("string", False, pool=("AKIAEXAMPLEKEY",)),
    ("userIdentity", "userName"): _S("string", False, pool=("alice",)),
    ("userIdentity", "invokedBy"): _S(
        "string", False, pool=("cloudformation.amazonaws.com", "AWS Internal")
    ),
    ("userIdentity", "sessionContext"): _S("free", False, open_children=True),
    ("userIdentity", "identityProvider"): _S("string", False),
    ("userIdentity", "credentialId"): _S("string", False),
    ("userIdentity", "onBehalfOf"): _S("free", False, open_children=True),
    ("eventTime",): _S("string", True, pool=("2024-05-01T12:00:00Z",)),
    ("eventSource",): _S("string", True, pool=SERVICES),
    ("eventName",): _S("string", True),
    ("awsRegion",): _S("string", True, pool=("us-east-1", "eu-west-1")),
    ("sourceIPAddress",): _S(
        "string", True, pool=("198.51.100.7", "delivery.logs.amazonaws.com", "AWS Internal")
    ),
    ("userAgent",): _S("string", True, pool=("aws-cli/2.15.0", "console.amazonaws.com")),
    ("requestParameters",): _S("object_or_null", True, open_children=True),
    ("responseElements",): _S("object_or_null", True, open_children=True),
    # documented value sets: judged as enums so "= No" equals "!= Yes" for real events
    ("responseElements", "ConsoleLogin"): _S("enum", False, enum=("Success", "Failure")),
    ("additionalEventData",): _S("object", False, open_children=True),
    ("additionalEventData", "MFAUsed"): _S("enum", False, enum=("No", "Yes")),
    ("requestID",): _S("string", True, pool=("5c5e2f1a-0b7e-4a6b-9f3e-2d1c0b9a8f7e",)),
    ("eventID",): _S("string", True, pool=("0f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a",)),
    ("readOnly",): _S("bool", True),
    ("eventType",): _S("enum", True, enum=EVENT_TYPES),
    ("managementEvent",): _S("bool", True),
    ("recipientAccountId",): _S("string", True, pool=("111122223333",)),
    ("eventCategory",): _S("enum", True, enum=EVENT_CATEGORIES),
    ("errorCode",): _S(
        "string",
        False,
        pool=(
            "AccessDenied",
            "AccessDeniedException",
            "Client.UnauthorizedOperation",
            "UnauthorizedOperation",
            "ThrottlingException",
            "NoSuchBucket",
            "ValidationException",
        ),
    ),
    ("errorMessage",): _S(
        "string",
        False,
        pool=("Failed authentication", "User is not authorized to perform this operation"),
    ),
    ("sharedEventID",): _S("string", False),
    ("vpcEndpointId",): _S("string", False),
    ("apiVersion",): _S("string", False),
    ("sessionCredentialFromConsole",): _S("string", False, pool=("true",)),
    ("serviceEventDetails",): _S("free", False, open_children=True),
    ("tlsDetails",): _S("free", False, open_children=True),
    ("resources",): _S("free", False, open_children=True),
    ("addendum",): _S("free", False, open_children=True),
    ("edgeDeviceDetails",): _S("free", False, open_children=True),
}

Path = tuple[str | int, ...]


def field_spec(path: Path) -> FieldSpec | None:
    """The spec of a known field; a ``free`` spec under open payloads; None if impossible.

    None means no real record has this key (e.g. a misspelt ``$.eventname``): the search
    then only tries "absent" for it.
    """
    if not path:
        return None
    str_path = tuple(p for p in path if isinstance(p, str))
    if len(str_path) == len(path) and str_path in SCHEMA:
        return SCHEMA[str_path]
    for i in range(len(path) - 1, 0, -1):
        prefix = path[:i]
        if all(isinstance(p, str) for p in prefix):
            spec = SCHEMA.get(tuple(str(p) for p in prefix))
            if spec is not None:
                return _S("free", False) if spec.open_children else None
    return None


def default_read_only(name: str) -> bool:
    return name.startswith(_READ_PREFIXES) or name == "GetObject"


def name_fits_source(name: str, source: str) -> bool:
    services = EVENT_SOURCES.get(name)
    if services is None:
        # a name outside the table: any service except sign-in, whose events are all known
        return source != SIGNIN
    return source in services


def incoherence(record: dict[str, Any]) -> str | None:
    """Why ``record`` could not be a real CloudTrail record, or None when it could."""
    name, source = record.get("eventName"), record.get("eventSource")
    etype = record.get("eventType")
    ident = record.get("userIdentity")
    if not isinstance(ident, dict):
        return "userIdentity must be an object"
    itype = ident.get("type")
    if isinstance(name, str) and isinstance(source, str) and not name_fits_source(name, source):
        return f"{name} does not come from {source}"
    if (etype == "AwsConsoleSignIn") != (source == SIGNIN):
        return "sign-in events (and only they) come from signin.amazonaws.com"
    if etype == "AwsServiceEvent" and itype != "AWSService":
        return "service events are made by AWSService identities"
    if itype == "AWSService":
        if "invokedBy" not in ident:
            return "AWSService identities carry invokedBy"
        if etype not in ("AwsApiCall", "AwsServiceEvent"):
            return "AWSService identities make API calls or service events only"
    if (record.get("eventCategory") == "Management") != (record.get("managementEvent") is True):
        return "managementEvent is true exactly for eventCategory Management"
    if isinstance(name, str) and name in EVENT_SOURCES:
        if (record.get("eventCategory") == "Data") != (name in DATA_EVENTS):
            return f"{name} is {'a data' if name in DATA_EVENTS else 'a management'} event"
        if record.get("readOnly") is not default_read_only(name):
            return f"readOnly of {name} is {default_read_only(name)}"
    return None


def _uuid_like(seed: str) -> str:
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


_IDENTITY_DEFAULTS: dict[str, dict[str, Any]] = {
    "IAMUser": {
        "principalId": "AIDAEXAMPLEPRINCIPAL",
        "arn": "arn:aws:iam::111122223333:user/alice",
        "accountId": "111122223333",
        "accessKeyId": "AKIAEXAMPLEKEY",
        "userName": "alice",
    },
    "Root": {
        "principalId": "111122223333",
        "arn": "arn:aws:iam::111122223333:root",
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLEROOT",
    },
    "AssumedRole": {
        "principalId": "AROAEXAMPLEROLE:alice",
        "arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice",
        "accountId": "111122223333",
        "accessKeyId": "ASIAEXAMPLEKEY",
    },
    "AWSService": {"invokedBy": "cloudformation.amazonaws.com"},
}


DEFAULT_USER_AGENT = "aws-cli/2.15.0 Python/3.11.8"
_UNKNOWN_NAMES = ("DescribeExampleResources", "UpdateExampleResource")
_DEFAULT_SOURCES = ("ec2.amazonaws.com", *SERVICES)


def _pick_name_source(core: dict[str, Any]) -> tuple[str, str] | None:
    """An (eventName, eventSource) pair that fits everything ``core`` fixes."""
    name, source = core.get("eventName"), core.get("eventSource")
    etype, read_only = core.get("eventType"), core.get("readOnly")
    category, mgmt = core.get("eventCategory"), core.get("managementEvent")
    want_data: bool | None = None
    if category in ("Data", "Management"):
        want_data = category == "Data"
    elif isinstance(mgmt, bool):
        want_data = not mgmt

    def fits(n: str, src: str) -> bool:
        if not name_fits_source(n, src):
            return False
        if isinstance(etype, str) and (etype == "AwsConsoleSignIn") != (src == SIGNIN):
            return False
        if n in EVENT_SOURCES:
            if want_data is not None and (n in DATA_EVENTS) != want_data:
                return False
            if isinstance(read_only, bool):
                return default_read_only(n) == read_only
        return True

    if isinstance(name, str) and isinstance(source, str):
        return (name, source) if fits(name, source) else None
    if isinstance(name, str):
        sources = EVENT_SOURCES.get(name, _DEFAULT_SOURCES)
        return next(((name, s) for s in sources if fits(name, s)), None)
    sources = (source,) if isinstance(source, str) else _DEFAULT_SOURCES
    for unknown in (False, True):  # names from the table first, made-up ones last
        for src in sources:
            # read-only names first: the most ordinary events
            names = sorted(SERVICE_EVENTS.get(src, ()), key=lambda n: not default_read_only(n))
            for n in _UNKNOWN_NAMES if unknown else names:
                if fits(n, src):
                    return n, src
    return None


def build_record(
    core: dict[str, Any],
    overrides: list[tuple[Path, Any]],
) -> dict[str, Any] | None:
    """A full, coherent CloudTrail record, or None if ``overrides`` make that impossible.

    ``core`` may fix eventName, eventSource, eventType, identity type etc. (values the
    search chose); unfixed ones get defaults that fit. ``overrides`` then set or delete
    (value ``ABSENT``) exact paths; parents are created as needed.
    """
    picked = _pick_name_source(core)
    if picked is None:
        return None
    name, source = picked
    itype = core.get("userIdentity.type")
    etype = core.get("eventType")
    if not isinstance(etype, str):
        etype = (
            "AwsConsoleSignIn"
            if source == SIGNIN
            else "AwsServiceEvent"
            if itype == "AWSService" and core.get("invokedBy_absent") is not True
            else "AwsApiCall"
        )
    if not isinstance(itype, str):
        itype = "AWSService" if etype == "AwsServiceEvent" else "IAMUser"
    category = core.get("eventCategory")
    mgmt = core.get("managementEvent")
    if not isinstance(category, str):
        category = "Data" if mgmt is False or name in DATA_EVENTS else "Management"
    if not isinstance(mgmt, bool):
        mgmt = category == "Management"
    read_only = core.get("readOnly")
    if not isinstance(read_only, bool):
        read_only = default_read_only(name)
    if isinstance(core.get("readOnly"), bool) and name not in EVENT_SOURCES:
        read_only = core["readOnly"]
    region = "us-east-1"
    identity: dict[str, Any] = {"type": itype, **_IDENTITY_DEFAULTS.get(itype, {})}
    if itype not in _IDENTITY_DEFAULTS:
        identity.update(
            principalId="AIDAEXAMPLEPRINCIPAL",
            arn=f"arn:aws:iam::111122223333:{itype.lower()}/example",
            accountId="111122223333",
        )
    if etype == "AwsServiceEvent" or itype == "AWSService":
        identity.setdefault("invokedBy", source if source != SIGNIN else "AWS Internal")
    seed = f"{name}|{source}|{overrides!r}"
    record: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": identity,
        "eventTime": "2024-05-01T12:00:00Z",
        "eventSource": source,
        "eventName": name,
        "awsRegion": region,
        "sourceIPAddress": "198.51.100.7" if itype != "AWSService" else source,
        "userAgent": DEFAULT_USER_AGENT
        if etype != "AwsConsoleSignIn"
        else ("Mozilla/5.0 (X11; Linux x86_64)"),
        "requestParameters": None if read_only or etype == "AwsConsoleSignIn" else {},
        "responseElements": ({"ConsoleLogin": "Success"} if name == "ConsoleLogin" else None),
        "requestID": _uuid_like("req" + seed),
        "eventID": _uuid_like("evt" + seed),
        "readOnly": read_only,
        "eventType": etype,
        "managementEvent": mgmt,
        "recipientAccountId": "111122223333",
        "eventCategory": category,
    }
    if name == "ConsoleLogin":
        record["additionalEventData"] = {
            "LoginTo": "https://console.aws.amazon.com/console/home",
            "MobileVersion": "No",
            "MFAUsed": "No",
        }
    for path, value in overrides:
        if not _set_path(record, path, value):
            return None
    if incoherence(record) is not None:
        return None
    return record


class _Sentinel:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ABSENT: Any = _Sentinel("ABSENT")
# "some object" / "some array": keep the container already there, else create an empty one
OBJECT: Any = _Sentinel("OBJECT")
ARRAY: Any = _Sentinel("ARRAY")


def _set_path(doc: Any, path: Path, value: Any) -> bool:
    node = doc
    for i, part in enumerate(path[:-1]):
        nxt_part = path[i + 1]
        want_list = isinstance(nxt_part, int)
        child = _get(node, part)
        if child is ABSENT or not isinstance(child, list if want_list else dict):
            if value is ABSENT:
                return True  # nothing to delete under a non-container
            child = [] if want_list else {}
            if not _put(node, part, child):
                return False
        node = child
    last = path[-1]
    if value is ABSENT:
        if isinstance(node, dict) and isinstance(last, str):
            node.pop(last, None)
            return True
        if isinstance(node, list) and isinstance(last, int):
            # an array element can only be absent at the end of the array
            if last < len(node):
                del node[last:]
            return True
        return True
    if value is OBJECT or value is ARRAY:
        kind = dict if value is OBJECT else list
        if isinstance(_get(node, last), kind):
            return True
        return _put(node, last, kind())
    return _put(node, last, value)


def _get(node: Any, part: str | int) -> Any:
    if isinstance(part, str) and isinstance(node, dict):
        return node.get(part, ABSENT)
    if isinstance(part, int) and isinstance(node, list) and part < len(node):
        return node[part]
    return ABSENT


def _put(node: Any, part: str | int, value: Any) -> bool:
    if isinstance(part, str) and isinstance(node, dict):
        node[part] = value
        return True
    if isinstance(part, int) and isinstance(node, list):
        while len(node) <= part:
            node.append(None)
        node[part] = value
        return True
    return False


__all__ = [
    "ABSENT",
    "ARRAY",
    "EVENT_SOURCES",
    "OBJECT",
    "SCHEMA",
    "SERVICES",
    "FieldSpec",
    "build_record",
    "field_spec",
    "incoherence",
    "name_fits_source",
]
