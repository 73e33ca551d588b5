"""Who acts in the synthetic trail, and with which API calls: a fixed world drawn from a seed.

A few accounts each hold a few dozen IAM users (mostly pipelines and service users, some
people), a few dozen roles assumed by workloads (Lambda, ECS, EC2, CI through OIDC, AI
agents, SSO people) and the AWS services that call on the account's behalf: a few hundred
identities in all. Their activity is skewed the way real trails are: a handful of
workloads make most of the calls, and each identity uses its own small set of about a
hundred API actions, most of them reads.
"""

from __future__ import annotations

import base64
import bisect
import itertools
import random
from dataclasses import dataclass
from functools import lru_cache

ACCOUNTS = 4
REGIONS = ("us-east-1", "us-east-2", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
REGION_WEIGHTS = (40, 8, 20, 18, 10, 4)
APPS = (
    "orders",
    "payments",
    "billing",
    "search",
    "inventory",
    "analytics",
    "ledger",
    "notify",
    "auth",
    "catalog",
    "shipping",
    "reports",
    "ml-train",
    "etl",
    "web",
)
PEOPLE = (
    "amara.okafor",
    "lucas.meyer",
    "priya.raman",
    "tomas.novak",
    "mei.chen",
    "jonas.berg",
    "sofia.rossi",
    "daniel.cohen",
)
SERVICES = (
    "lambda.amazonaws.com",
    "ec2.amazonaws.com",
    "ecs-tasks.amazonaws.com",
    "cloudformation.amazonaws.com",
    "config.amazonaws.com",
    "autoscaling.amazonaws.com",
    "elasticloadbalancing.amazonaws.com",
    "events.amazonaws.com",
    "ssm.amazonaws.com",
    "cloudtrail.amazonaws.com",
)
USER_AGENTS = (
    "aws-cli/2.17.41 md/awscrt#0.21.2 ua/2.0 os/linux#6.1.109 md/arch#x86_64 "
    "lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe "
    "md/distrib#amzn.2023 md/prompt#off md/command#s3.cp",
    "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226 md/arch#x86_64 "
    "lang/python#3.11.10 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36",
    "aws-sdk-go-v2/1.32.2 ua/2.1 os/linux lang/go#1.23.2 md/GOOS#linux md/GOARCH#amd64 "
    "api/s3#1.65.3",
    "aws-sdk-java/2.28.16 Linux/5.10.226 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 "
    "vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/legacy",
    "APN/1.0 HashiCorp/1.0 Terraform/1.9.7 (+https://www.terraform.io) "
    "terraform-provider-aws/5.70.0 aws-sdk-go-v2/1.32.0 api/iam#1.37.0",
    "aws-sdk-nodejs/2.1691.0 linux/v20.18.0 exec-env/AWS_Lambda_nodejs20.x promise",
    "AWS Internal",
    "console.amazonaws.com",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/130.0.0.0 Safari/537.36",
    "datadog-integration/7.58.0 Boto3/1.35.10 Botocore/1.35.10",
    "Bedrock-Agent-Runtime aws-sdk-python/1.35.20",
)

# service prefix, event name, r(ead)/w(rite) + d for a data event, request parameter shape,
# relative volume, who calls it: W workloads, C pipelines and admins, I people inspecting,
# S AWS services.
_CATALOGUE = """
s3 GetObject rd object 60 WS
s3 PutObject wd object 25 WC
s3 HeadObject rd object 12 W
s3 ListObjects rd bucket 10 WI
s3 DeleteObject wd object 3 WC
s3 ListBuckets r host 4 IC
s3 GetBucketLocation r bucket 4 WSI
s3 GetBucketAcl r bucket 3 SI
s3 GetBucketPolicy r bucket 2 IC
s3 GetBucketVersioning r bucket 1 IC
s3 PutBucketPolicy w bucket 0.3 C
s3 CreateBucket w bucket 0.2 C
s3 PutBucketPublicAccessBlock w bucket 0.2 C
iam GetUser r user 2 IC
iam ListUsers r none 1 IC
iam ListRoles r none 1 IC
iam GetRole r role 2 CI
iam ListAccessKeys r user 1 IC
iam GetAccessKeyLastUsed r accesskey 0.5 I
iam CreateAccessKey w user 0.1 C
iam UpdateAccessKey w userkey 0.05 C
iam DeleteAccessKey w userkey 0.05 C
iam CreateUser w user 0.05 C
iam AddUserToGroup w usergroup 0.05 C
iam CreateRole w role 0.1 C
iam PutRolePolicy w rolepolicy 0.1 C
iam AttachRolePolicy w roleattach 0.1 C
iam DetachRolePolicy w roleattach 0.05 C
iam ListAttachedRolePolicies r role 1 CI
iam GetPolicy r policy 1 CI
iam GetPolicyVersion r policyversion 1 CI
iam ListMFADevices r user 0.5 I
iam GenerateCredentialReport r none 0.2 I
sts AssumeRole r assume 30 SWC
sts GetCallerIdentity r none 8 WCI
sts GetSessionToken r duration 0.3 C
sts AssumeRoleWithWebIdentity r assume 3 C
ec2 DescribeInstances r filter 8 WSCI
ec2 DescribeSecurityGroups r filter 3 CI
ec2 DescribeVpcs r filter 2 CI
ec2 DescribeSubnets r filter 2 CI
ec2 DescribeVolumes r filter 2 SCI
ec2 DescribeSnapshots r filter 1 CI
ec2 DescribeImages r filter 1 C
ec2 DescribeRegions r filter 2 WI
ec2 RunInstances w instance 0.3 SC
ec2 TerminateInstances w instance 0.2 SC
ec2 StartInstances w instance 0.1 C
ec2 StopInstances w instance 0.1 C
ec2 CreateTags w instance 0.5 SC
ec2 AuthorizeSecurityGroupIngress w group 0.1 C
ec2 CreateSnapshot w volume 0.2 S
ec2 ModifySnapshotAttribute w snapshot 0.02 C
ec2 GetPasswordData r instance 0.02 I
lambda Invoke rd function 15 W
lambda GetFunction r function 2 CI
lambda GetFunctionConfiguration r function 1 C
lambda ListFunctions20150331 r none 1 CI
lambda UpdateFunctionCode20150331v2 w function 0.5 C
lambda UpdateFunctionConfiguration20150331v2 w function 0.2 C
lambda CreateFunction20150331 w function 0.05 C
lambda AddPermission20150331v2 w function 0.05 C
kms Decrypt r key 40 WS
kms GenerateDataKey r key 20 WS
kms Encrypt r key 4 W
kms DescribeKey r key 2 SC
kms ListKeys r none 0.5 I
kms ListAliases r none 0.5 CI
kms CreateGrant w key 0.3 S
kms ScheduleKeyDeletion w key 0.01 C
secretsmanager GetSecretValue r secret 12 W
secretsmanager DescribeSecret r secret 2 WC
secretsmanager ListSecrets r none 0.5 I
secretsmanager PutSecretValue w secret 0.2 C
secretsmanager CreateSecret w secret 0.05 C
secretsmanager RotateSecret w secret 0.1 S
ssm GetParameter r parameter 10 W
ssm GetParameters r parameters 5 W
ssm GetParametersByPath r path 3 W
ssm DescribeParameters r none 0.5 CI
ssm PutParameter w parameter 0.2 C
ssm StartSession w instance 0.1 I
ssm SendCommand w instance 0.2 C
dynamodb DescribeTable r table 6 W
dynamodb ListTables r none 1 WI
dynamodb CreateTable w table 0.05 C
dynamodb UpdateTable w table 0.05 C
dynamodb DeleteTable w table 0.01 C
logs CreateLogStream w logstream 15 WS
logs CreateLogGroup w loggroup 0.2 S
logs DescribeLogGroups r none 1 CI
logs PutRetentionPolicy w loggroup 0.1 C
logs FilterLogEvents r loggroup 0.5 I
sqs GetQueueAttributes r queue 4 WS
sqs ListQueues r none 0.5 CI
sqs CreateQueue w queue 0.05 C
sqs SetQueueAttributes w queue 0.05 C
sns GetTopicAttributes r topic 1 WS
sns ListTopics r none 0.5 I
sns CreateTopic w topic 0.05 C
sns Subscribe w topic 0.05 C
rds DescribeDBInstances r none 2 SCI
rds DescribeDBSnapshots r none 0.5 I
rds CreateDBSnapshot w dbsnapshot 0.1 S
rds ModifyDBSnapshotAttribute w dbsnapshot 0.01 C
ecr GetAuthorizationToken r none 4 WC
ecr BatchGetImage r repository 3 W
ecr GetDownloadUrlForLayer r repository 3 W
ecr PutImage w repository 0.3 C
ecr DescribeRepositories r none 0.5 CI
eks DescribeCluster r cluster 2 WC
eks ListClusters r none 0.5 I
cloudformation DescribeStacks r stack 2 CI
cloudformation ListStacks r none 0.5 I
cloudformation CreateStack w stack 0.05 C
cloudformation UpdateStack w stack 0.2 C
cloudtrail DescribeTrails r none 0.5 SI
cloudtrail GetTrailStatus r trail 0.5 SI
cloudtrail LookupEvents r none 0.3 I
cloudtrail PutEventSelectors w trail 0.01 C
cloudtrail StopLogging w trail 0.005 C
organizations DescribeOrganization r none 0.5 I
organizations ListAccounts r none 0.3 I
monitoring GetMetricData r none 3 WS
monitoring DescribeAlarms r none 1 CI
monitoring PutMetricAlarm w alarm 0.1 C
"""


@dataclass(frozen=True)
class Action:
    """One API action as CloudTrail names it (``eventSource`` and ``eventName``)."""

    prefix: str
    name: str
    read_only: bool
    data_event: bool
    params: str
    weight: float
    callers: str

    @property
    def source(self) -> str:
        """The ``eventSource`` value, e.g. ``s3.amazonaws.com``."""
        return f"{self.prefix}.amazonaws.com"


def _parse_catalogue(text: str) -> tuple[Action, ...]:
    actions = []
    for line in text.strip().splitlines():
        prefix, name, flags, params, weight, callers = line.split()
        actions.append(
            Action(prefix, name, "r" in flags, "d" in flags, params, float(weight), callers)
        )
    return tuple(actions)


ACTIONS = _parse_catalogue(_CATALOGUE)


@dataclass(frozen=True)
class Identity:
    """A caller: an IAM user with its access keys, a role with the names of its sessions, or
    an AWS service acting for the account. ``actions`` index :data:`ACTIONS`; ``cum`` are
    their cumulative weights for :meth:`random.Random.choices`."""

    kind: str
    account: str
    name: str
    principal_id: str
    keys: tuple[str, ...]
    sessions: tuple[str, ...]
    mfa: bool
    agents: tuple[str, ...]
    ips: tuple[str, ...]
    actions: tuple[int, ...]
    cum: tuple[float, ...]

    @property
    def arn(self) -> str:
        """The IAM ARN of the user or role (a service has none: its host name is returned)."""
        if self.kind == "IAMUser":
            return f"arn:aws:iam::{self.account}:user/{self.name}"
        if self.kind == "AssumedRole":
            return f"arn:aws:iam::{self.account}:role/{self.name}"
        return self.name


@dataclass(frozen=True)
class Account:
    """An account, its callers with cumulative activity weights, and the resources they use."""

    account_id: str
    identities: tuple[Identity, ...]
    cum: tuple[float, ...]
    buckets: tuple[str, ...]
    functions: tuple[str, ...]
    secrets: tuple[str, ...]
    keys: tuple[str, ...]
    tables: tuple[str, ...]
    queues: tuple[str, ...]
    topics: tuple[str, ...]
    users: tuple[str, ...]
    roles: tuple[str, ...]
    instances: tuple[str, ...]


@dataclass(frozen=True)
class World:
    """The accounts of one seed: everything the generator draws callers and resources from."""

    accounts: tuple[Account, ...]

    @property
    def identity_count(self) -> int:
        """How many distinct callers the world holds."""
        return sum(len(account.identities) for account in self.accounts)


def token(rng: random.Random, size: int) -> str:
    """``size`` characters of upper case and digits 2-7, as in IAM ids and access key ids
    (base32 of random bytes: one call to the generator instead of one per character)."""
    raw = rng.getrandbits(8 * -(-size * 5 // 8)).to_bytes(-(-size * 5 // 8), "big")
    return base64.b32encode(raw).decode("ascii")[:size]


def hex_id(rng: random.Random, digits: int) -> str:
    """``digits`` lower-case hex digits, as in instance ids and ECS task ids."""
    return f"{rng.getrandbits(4 * digits):0{digits}x}"


@lru_cache(maxsize=4)
def build_world(seed: int) -> World:
    """The world of ``seed``: the same accounts, identities and resources every time."""
    rng = random.Random(f"world:{seed}")
    account_ids = [f"{rng.randrange(10**11, 10**12):012d}" for _ in range(ACCOUNTS)]
    return World(tuple(_account(rng, account_id) for account_id in account_ids))


def _account(rng: random.Random, account: str) -> Account:
    apps = rng.sample(APPS, 10)
    identities: list[Identity] = []

    def add(kind: str, name: str, callers: str, **extra: object) -> None:
        identities.append(_identity(rng, kind, account, name, callers, **extra))

    for app in apps:
        add("IAMUser", f"ci-{app}", "C", keys=1 + (rng.random() < 0.4))
        add("IAMUser", f"svc-{app}", "W", keys=1 + (rng.random() < 0.3))
        functions = tuple(f"{app}-{part}" for part in ("api", "worker", "cron"))
        add("AssumedRole", f"{app}-lambda-exec", "W", sessions=functions)
        add("AssumedRole", f"{app}-ecs-task", "W", sessions=tuple(hex_id(rng, 32) for _ in "ab"))
        add("AssumedRole", f"{app}-ec2-instance", "WS", sessions=("i-0" + hex_id(rng, 16),))
        add("AssumedRole", f"github-actions-{app}-deploy", "C", sessions=("GitHubActions",))
    for n in range(3):
        add("AssumedRole", f"bedrock-agent-{apps[n]}", "W", sessions=(f"agent-{hex_id(rng, 12)}",))
    for name in ("backup-agent", "datadog-integration", "legacy-ftp-uploader", "vendor-scanner"):
        add("IAMUser", name, "WI", keys=1 + (rng.random() < 0.5))
    for person in rng.sample(PEOPLE, 5):
        add("IAMUser", person, "IC", keys=1, mfa=True)
    sso = "AWSReservedSSO_{}_" + hex_id(rng, 16)
    emails = tuple(f"{p}@example.com" for p in rng.sample(PEOPLE, 4))
    add("AssumedRole", sso.format("AdministratorAccess"), "CI", sessions=emails, mfa=True)
    add("AssumedRole", sso.format("ReadOnlyAccess"), "I", sessions=emails, mfa=True)
    add("AssumedRole", "OrganizationAccountAccessRole", "CI", sessions=("admin-break-glass",))
    add("AssumedRole", "terraform-admin", "C", sessions=("terraform-run",))
    for service in SERVICES:
        add("AWSService", service, "S")
    # Zipf-like activity: the busiest caller makes a large share of the calls.
    rng.shuffle(identities)
    weights = [1 / (rank + 1) ** 0.9 for rank in range(len(identities))]
    buckets = tuple(f"{app}-{account}-{suffix}" for app in apps for suffix in ("data", "logs"))
    return Account(
        account_id=account,
        identities=tuple(identities),
        cum=tuple(itertools.accumulate(weights)),
        buckets=buckets,
        functions=tuple(f"{app}-{part}" for app in apps for part in ("api", "worker", "cron")),
        secrets=tuple(f"prod/{app}/{name}-{token(rng, 6)}" for app in apps for name in ("db",)),
        keys=tuple(uuid_text(rng) for _ in range(6)),
        tables=tuple(f"{app}-{name}" for app in apps for name in ("items", "events")),
        queues=tuple(f"{app}-jobs" for app in apps),
        topics=tuple(f"{app}-alerts" for app in apps),
        users=tuple(i.name for i in identities if i.kind == "IAMUser"),
        roles=tuple(i.name for i in identities if i.kind == "AssumedRole"),
        instances=tuple("i-0" + hex_id(rng, 16) for _ in range(12)),
    )


def _identity(
    rng: random.Random,
    kind: str,
    account: str,
    name: str,
    callers: str,
    keys: int = 0,
    sessions: tuple[str, ...] = (),
    mfa: bool = False,
) -> Identity:
    own = [n for n, action in enumerate(ACTIONS) if set(action.callers) & set(callers)]
    size = min(len(own), rng.randint(6, 24))
    chosen = sorted(rng.sample(own, size))
    if rng.random() < 0.3:
        # The long tail: now and then a caller does something outside its usual role.
        chosen.append(rng.randrange(len(ACTIONS)))
    # Each caller has its own mix: the catalogue's volume times a personal factor.
    weights = [ACTIONS[n].weight * rng.uniform(0.2, 2.0) for n in chosen]
    prefix = {"IAMUser": "AIDA", "AssumedRole": "AROA"}.get(kind, "")
    if kind == "AWSService":
        agents: tuple[str, ...] = (name,)
        ips: tuple[str, ...] = (name,)
    else:
        agents = tuple(rng.sample(USER_AGENTS, rng.randint(1, 2)))
        ips = tuple(_ip(rng) for _ in range(rng.randint(1, 3)))
    return Identity(
        kind=kind,
        account=account,
        name=name,
        principal_id=prefix + token(rng, 17) if prefix else "",
        keys=tuple("AKIA" + token(rng, 16) for _ in range(keys)),
        sessions=sessions,
        mfa=mfa,
        agents=agents,
        ips=ips,
        actions=tuple(chosen),
        cum=tuple(itertools.accumulate(weights)),
    )


def _ip(rng: random.Random) -> str:
    first = rng.choice((3, 18, 34, 35, 44, 52, 54, 81, 91, 185, 198))
    return f"{first}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"


def uuid_text(rng: random.Random) -> str:
    """A version-4 UUID in its usual text form, drawn from ``rng`` (so it follows the seed)."""
    digits = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(digits[16], 16) & 3]
    return f"{digits[:8]}-{digits[8:12]}-4{digits[13:16]}-{variant}{digits[17:20]}-{digits[20:]}"


def pick(rng: random.Random, cum: tuple[float, ...]) -> int:
    """An index drawn with the cumulative weights ``cum`` (one bisect, no list built)."""
    return bisect.bisect(cum, rng.random() * cum[-1])
