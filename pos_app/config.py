"""Settings: environment variables over the settings file over defaults.

The settings file (TOML, in the user config dir) never holds the client
secret; it comes from the OS keyring or, for kiosks and CI, the environment.
"""

from __future__ import annotations

import os
import socket
import tomllib
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

APP_NAME = "pos-app"
DEFAULT_API_URL = "https://api.justifi.ai"
SECRET_KEYS = ("client_secret", "justifi_client_secret")


class SettingsError(ValueError):
    """The settings cannot be used; the message says what to fix."""


def config_dir() -> Path:
    """Where settings.toml lives (POS_CONFIG_DIR overrides)."""
    override = os.environ.get("POS_CONFIG_DIR")
    return Path(override) if override else Path(platformdirs.user_config_dir(APP_NAME))


def data_dir() -> Path:
    """Where the journal lives (POS_DATA_DIR overrides)."""
    override = os.environ.get("POS_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP_NAME))


def log_dir() -> Path:
    """Where logs rotate (POS_LOG_DIR overrides)."""
    override = os.environ.get("POS_LOG_DIR")
    return Path(override) if override else Path(platformdirs.user_log_dir(APP_NAME))


class _SettingsFile(PydanticBaseSettingsSource):
    """settings.toml, refusing a secret in it."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = config_dir() / "settings.toml"
        self.values: dict[str, Any] = {}
        if path.exists():
            try:
                self.values = tomllib.loads(path.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"cannot read {path}: {exc}") from exc
        for key in SECRET_KEYS:
            if key in self.values:
                raise SettingsError(
                    f"{path} contains {key}; secrets belong in the OS keyring or the"
                    " JUSTIFI_CLIENT_SECRET environment variable. Remove it from the file."
                )

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self.values.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Everything configurable about a lane."""

    model_config = SettingsConfigDict(extra="ignore", populate_by_name=True)

    api_url: str = Field(
        DEFAULT_API_URL, validation_alias=AliasChoices("JUSTIFI_API_URL", "api_url")
    )
    client_id: str | None = Field(
        None, validation_alias=AliasChoices("JUSTIFI_CLIENT_ID", "client_id")
    )
    client_secret: SecretStr | None = Field(
        None, validation_alias=AliasChoices("JUSTIFI_CLIENT_SECRET", "client_secret")
    )
    sub_account: str | None = Field(
        None, validation_alias=AliasChoices("JUSTIFI_SUB_ACCOUNT", "sub_account")
    )
    payment_flow: Literal["payment_intent", "checkout"] = Field(
        "payment_intent", validation_alias=AliasChoices("POS_PAYMENT_FLOW", "payment_flow")
    )
    lane: str = Field(
        default_factory=socket.gethostname, validation_alias=AliasChoices("POS_LANE", "lane")
    )
    currency: Literal["usd", "cad"] = Field(
        "usd", validation_alias=AliasChoices("POS_CURRENCY", "currency")
    )
    max_amount_cents: int = Field(
        1_000_000, ge=51, validation_alias=AliasChoices("POS_MAX_AMOUNT_CENTS", "max_amount_cents")
    )
    tax_rate_bps: int = Field(
        0, ge=0, le=10_000, validation_alias=AliasChoices("POS_TAX_RATE_BPS", "tax_rate_bps")
    )
    poll_interval: float = Field(
        1.0, gt=0, le=10, validation_alias=AliasChoices("POS_POLL_INTERVAL", "poll_interval")
    )
    sandbox_time_scale: float = Field(
        1.0, gt=0, validation_alias=AliasChoices("POS_SANDBOX_TIME_SCALE", "sandbox_time_scale")
    )

    @field_validator("api_url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not value.startswith(
            ("https://", "http://127.0.0.1", "http://localhost", "http://[::1]")
        ):
            raise ValueError("JUSTIFI_API_URL must be https (plain http only on this computer)")
        return value.rstrip("/")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, env_settings, _SettingsFile(settings_cls)

    @property
    def has_credentials(self) -> bool:
        """Whether a JustiFi account is configured (else demo mode)."""
        return bool(self.client_id)

    @property
    def environment(self) -> str:
        """TEST or LIVE as the credentials say (JustiFi's test ids start with test_)."""
        return "TEST" if (self.client_id or "").startswith("test_") else "LIVE"


def load_settings(**overrides: Any) -> Settings:
    """The settings, or SettingsError with one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "settings"
        raise SettingsError(f"{where}: {first.get('msg')}") from None
