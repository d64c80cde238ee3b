//! `USHER_METRICS` and `USHER_METRICS_LISTEN`: who may read `/metrics`.

use anyhow::bail;
use usher_http::metrics::ApiAccess;

/// Who may read `/metrics`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum MetricsAccess {
    /// No one: `/metrics` answers 404 like any unknown path.
    Off,
    /// A super-admin API token, on the API address.
    #[default]
    Token,
    /// Anyone who reaches this address (`host:port`), which serves nothing
    /// else; the API address still wants a super-admin token.
    Listen(String),
}

impl MetricsAccess {
    /// From the mode (`off`, `token`, `listen`) and the metrics address,
    /// each from the flag, the environment or the file. An address alone
    /// means `listen`; an address with another mode is refused rather than
    /// ignored, since it says the operator expects a second listener.
    pub(super) fn resolve(mode: Option<&str>, listen: Option<String>) -> anyhow::Result<Self> {
        let listen = listen.filter(|l| !l.trim().is_empty());
        Ok(match (mode.map(str::trim), listen) {
            (None | Some("token"), None) => Self::Token,
            (Some("off"), None) => Self::Off,
            (None | Some("listen"), Some(addr)) => Self::Listen(addr),
            (Some("listen"), None) => {
                bail!("USHER_METRICS=listen needs USHER_METRICS_LISTEN (host:port)")
            }
            (Some(m @ ("off" | "token")), Some(_)) => bail!(
                "USHER_METRICS_LISTEN is set but USHER_METRICS is {m}; set USHER_METRICS=listen or unset the address"
            ),
            (Some(m), _) => bail!("USHER_METRICS must be off, token or listen, not {m:?}"),
        })
    }

    /// Whether the API address serves `/metrics` (to a super-admin token).
    pub fn api_access(&self) -> ApiAccess {
        match self {
            Self::Off => ApiAccess::Off,
            Self::Token | Self::Listen(_) => ApiAccess::Token,
        }
    }

    /// The separate metrics address, in `listen` mode.
    pub fn listen(&self) -> Option<&str> {
        match self {
            Self::Listen(addr) => Some(addr),
            Self::Off | Self::Token => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mode_and_the_address_resolve_together() {
        let r = |m: Option<&str>, l: Option<&str>| MetricsAccess::resolve(m, l.map(String::from));
        assert_eq!(r(None, None).unwrap(), MetricsAccess::Token);
        assert_eq!(r(Some("off"), None).unwrap(), MetricsAccess::Off);
        assert_eq!(r(Some("token"), None).unwrap(), MetricsAccess::Token);
        let listen = MetricsAccess::Listen("127.0.0.1:9100".into());
        assert_eq!(r(Some("listen"), Some("127.0.0.1:9100")).unwrap(), listen);
        assert_eq!(r(None, Some("127.0.0.1:9100")).unwrap(), listen);
        assert!(r(Some("listen"), None).is_err());
        assert!(r(Some("token"), Some("127.0.0.1:9100")).is_err());
        assert!(r(Some("open"), None).is_err());
        assert_eq!(listen.api_access(), ApiAccess::Token);
        assert_eq!(MetricsAccess::Off.api_access(), ApiAccess::Off);
    }
}
