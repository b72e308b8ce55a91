"""State changes of users, role groups and API tokens."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.db import transaction

from clawback.accounts.models import ApiToken, Organisation, hash_token
from clawback.audit.log import record


def do_create_user(
    username: str,
    *,
    groups: list[str],
    password: str | None,
    email: str = "",
    acting_user: AbstractBaseUser | str | None,
) -> User:
    with transaction.atomic():
        group_objs = []
        for name in groups:
            try:
                group_objs.append(Group.objects.get(name=name))
            except Group.DoesNotExist:
                known = ", ".join(Group.objects.order_by("name").values_list("name", flat=True))
                raise ValueError(f"no role group {name!r}; known: {known}") from None
        if User.objects.filter(username=username).exists():
            raise ValueError(f"user {username!r} already exists")
        user = User.objects.create_user(username=username, email=email, password=password)
        if password is None:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        user.groups.set(group_objs)
        record("user.add", actor=acting_user, obj=user, data={"username": username, "groups": groups})
    return user


def do_set_groups(user: User, groups: list[str], *, acting_user: AbstractBaseUser | str | None) -> None:
    with transaction.atomic():
        user.groups.set(Group.objects.filter(name__in=groups))
        record("user.groups", actor=acting_user, obj=user, data={"groups": groups})


def do_create_token(
    user: User,
    name: str,
    *,
    expires_at: datetime | None = None,
    acting_user: AbstractBaseUser | str | None,
) -> tuple[ApiToken, str]:
    """Create an API token; the secret is returned once and stored only as a digest."""
    secret = ApiToken.new_secret()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=secret[:10], digest=hash_token(secret), expires_at=expires_at
        )
        record("token.add", actor=acting_user, obj=token, data={"user": user.username, "name": name})
    return token, secret


def do_revoke_token(token: ApiToken, *, acting_user: AbstractBaseUser | str | None) -> None:
    with transaction.atomic():
        record("token.revoke", actor=acting_user, obj=token, data={"name": token.name})
        token.delete()


def do_set_org_domains(domains: list[str], *, acting_user: AbstractBaseUser | str | None) -> Organisation:
    with transaction.atomic():
        org = Organisation.current()
        org.domains = sorted({d.strip().lower() for d in domains if d.strip()})
        org.save(update_fields=["domains"])
        record("org.domains", actor=acting_user, obj=org, data={"domains": org.domains})
    return org
