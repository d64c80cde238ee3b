//! The discovery documents (RFC 7643 §5–7): `/ServiceProviderConfig`,
//! `/ResourceTypes` and `/Schemas`, built from one table of attributes per
//! resource, which PATCH also reads for canonical names, mutability and
//! case rules. Only what Usher stores is advertised; the extensions carry
//! the tenant's own custom attributes.

use super::resource::{
    ENTERPRISE_URN, ExtensionNames, GROUP_URN, ROLE_SUB_ATTRIBUTES, ROLES, USER_URN,
    USHER_USER_URN, roles_schema,
};
use serde_json::{Value, json};
use usher_scim::PatchSchema;

/// Most operations in one `/Bulk` request, and its largest body.
pub const BULK_MAX_OPERATIONS: usize = 1000;
pub const BULK_MAX_PAYLOAD: usize = 1024 * 1024;
/// The largest page a list answers (`count` above it is cut to it).
pub const MAX_RESULTS: u32 = 200;

/// One attribute as `/Schemas` describes it.
#[derive(Debug, Clone)]
pub struct Attr {
    pub name: &'static str,
    pub kind: &'static str,
    pub multi: bool,
    pub required: bool,
    pub case_exact: bool,
    pub mutability: &'static str,
    pub returned: &'static str,
    pub uniqueness: &'static str,
    pub canonical: &'static [&'static str],
    pub sub: Vec<Attr>,
    pub description: &'static str,
}

impl Attr {
    pub(crate) fn string(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            kind: "string",
            multi: false,
            required: false,
            case_exact: false,
            mutability: "readWrite",
            returned: "default",
            uniqueness: "none",
            canonical: &[],
            sub: Vec::new(),
            description,
        }
    }

    pub(crate) fn boolean(name: &'static str, description: &'static str) -> Self {
        Self {
            kind: "boolean",
            ..Self::string(name, description)
        }
    }

    pub(crate) fn complex(
        name: &'static str,
        multi: bool,
        sub: Vec<Attr>,
        description: &'static str,
    ) -> Self {
        Self {
            kind: "complex",
            multi,
            sub,
            ..Self::string(name, description)
        }
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut v = json!({
            "name": self.name,
            "type": self.kind,
            "multiValued": self.multi,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        });
        if self.kind == "string" || self.kind == "reference" {
            v["caseExact"] = json!(self.case_exact);
            v["uniqueness"] = json!(self.uniqueness);
        }
        if !self.canonical.is_empty() {
            v["canonicalValues"] = json!(self.canonical);
        }
        if self.kind == "reference" {
            v["referenceTypes"] = json!(["User", "Group"]);
        }
        if !self.sub.is_empty() {
            v["subAttributes"] = Value::Array(self.sub.iter().map(Attr::to_json).collect());
        }
        v
    }
}

/// The attributes of the core User schema that Usher stores.
pub fn user_attributes() -> Vec<Attr> {
    vec![
        Attr {
            required: true,
            uniqueness: "server",
            ..Attr::string(
                "userName",
                "The login name: the username where one is set, else the email address",
            )
        },
        Attr::complex(
            "name",
            false,
            vec![
                Attr::string("givenName", "First name (at most 50 characters)"),
                Attr::string("familyName", "Last name (at most 100 characters)"),
            ],
            "The user's name",
        ),
        Attr::string("displayName", "The name to show (at most 150 characters)"),
        // Required: every Usher user has a login email.
        Attr {
            required: true,
            ..Attr::complex(
                "emails",
                true,
                vec![
                    Attr {
                        required: true,
                        ..Attr::string("value", "An email address")
                    },
                    Attr {
                        canonical: &["work"],
                        ..Attr::string(
                            "type",
                            "work for the login email; a second address is the personal one (home)",
                        )
                    },
                ],
                "The login email (the primary or work one) and an optional personal email",
            )
        },
        // Required here although optional in RFC 7643: a user is either
        // enabled or disabled, there is no third answer to give.
        Attr {
            required: true,
            ..Attr::boolean("active", "false while the user is disabled")
        },
    ]
}

/// The common attributes every resource carries (RFC 7643 §3.1).
fn common_attributes() -> Vec<Attr> {
    vec![
        Attr {
            case_exact: true,
            mutability: "readOnly",
            returned: "always",
            uniqueness: "server",
            ..Attr::string("id", "Usher's id of the resource")
        },
        Attr {
            case_exact: true,
            ..Attr::string("externalId", "The id the provisioning client gives it")
        },
        Attr {
            mutability: "readOnly",
            ..Attr::complex(
                "meta",
                false,
                vec![
                    Attr {
                        mutability: "readOnly",
                        ..Attr::string("resourceType", "User or Group")
                    },
                    Attr {
                        kind: "dateTime",
                        mutability: "readOnly",
                        ..Attr::string("created", "When it was created")
                    },
                    Attr {
                        kind: "dateTime",
                        mutability: "readOnly",
                        ..Attr::string("lastModified", "When it last changed")
                    },
                    Attr {
                        kind: "reference",
                        case_exact: true,
                        mutability: "readOnly",
                        ..Attr::string("location", "Its URL")
                    },
                    Attr {
                        case_exact: true,
                        mutability: "readOnly",
                        ..Attr::string("version", "Its ETag")
                    },
                ],
                "Resource metadata",
            )
        },
    ]
}

/// The attributes of the core Group schema.
pub fn group_attributes() -> Vec<Attr> {
    vec![
        Attr {
            required: true,
            uniqueness: "server",
            ..Attr::string("displayName", "The group's name, unique in the tenant")
        },
        Attr::complex(
            "members",
            true,
            vec![
                Attr {
                    case_exact: true,
                    mutability: "immutable",
                    ..Attr::string("value", "The member's id")
                },
                Attr {
                    kind: "reference",
                    case_exact: true,
                    mutability: "immutable",
                    ..Attr::string("$ref", "The member's URL")
                },
                Attr {
                    canonical: &["User"],
                    mutability: "immutable",
                    ..Attr::string("type", "User")
                },
                Attr {
                    mutability: "readOnly",
                    ..Attr::string("display", "The member's userName")
                },
            ],
            "The users in the group",
        ),
    ]
}

fn enterprise_attributes(ext: &ExtensionNames) -> Vec<Value> {
    ext.enterprise
        .iter()
        .map(|(scim, _)| Attr::string(scim, "Kept in the custom attribute of this name").to_json())
        .collect()
}

/// Usher's extension: one string attribute per custom attribute.
fn usher_attributes(ext: &ExtensionNames) -> Vec<Value> {
    ext.usher
        .iter()
        .map(|n| {
            let mut v = Attr::string("", "A custom attribute of this tenant").to_json();
            v["name"] = json!(n);
            v
        })
        .collect()
}

fn schema_doc(id: &str, name: &str, description: &str, attrs: Vec<Value>, base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
        "id": id,
        "name": name,
        "description": description,
        "attributes": attrs,
        "meta": {"resourceType": "Schema", "location": format!("{base}/Schemas/{id}")},
    })
}

/// Every schema of the tenant, as `/Schemas` lists them. `roles` (the
/// tenant's own role names) are advertised only where the tenant has some:
/// no other value could be written.
pub fn schemas(base: &str, ext: &ExtensionNames, roles: &[String]) -> Vec<Value> {
    let core = |attrs: Vec<Attr>| -> Vec<Value> {
        common_attributes()
            .into_iter()
            .filter(|a| a.name != "meta" && a.name != "id" && a.name != "externalId")
            .chain(attrs)
            .map(|a| a.to_json())
            .collect()
    };
    let mut user = core(user_attributes());
    if !roles.is_empty() {
        user.push(roles_schema(roles));
    }
    user.insert(
        0,
        Attr {
            case_exact: true,
            ..Attr::string("externalId", "The id the provisioning client gives it")
        }
        .to_json(),
    );
    let mut group = core(group_attributes());
    group.insert(
        0,
        Attr {
            case_exact: true,
            ..Attr::string("externalId", "The id the provisioning client gives it")
        }
        .to_json(),
    );
    let mut out = vec![
        schema_doc(USER_URN, "User", "User Account", user, base),
        schema_doc(GROUP_URN, "Group", "Group", group, base),
    ];
    let enterprise = enterprise_attributes(ext);
    if !enterprise.is_empty() {
        out.push(schema_doc(
            ENTERPRISE_URN,
            "EnterpriseUser",
            "Enterprise User",
            enterprise,
            base,
        ));
    }
    let usher = usher_attributes(ext);
    if !usher.is_empty() {
        out.push(schema_doc(
            USHER_USER_URN,
            "UsherUser",
            "The tenant's custom attributes",
            usher,
            base,
        ));
    }
    out
}

/// `/ResourceTypes`.
pub fn resource_types(base: &str, ext: &ExtensionNames) -> Vec<Value> {
    let mut extensions = Vec::new();
    if !ext.enterprise.is_empty() {
        extensions.push(json!({"schema": ENTERPRISE_URN, "required": false}));
    }
    if !ext.usher.is_empty() {
        extensions.push(json!({"schema": USHER_USER_URN, "required": false}));
    }
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User",
            "name": "User",
            "endpoint": "/Users",
            "description": "User Account",
            "schema": USER_URN,
            "schemaExtensions": extensions,
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group",
            "name": "Group",
            "endpoint": "/Groups",
            "description": "Group",
            "schema": GROUP_URN,
            "schemaExtensions": [],
            "meta": {"resourceType": "ResourceType", "location": format!("{base}/ResourceTypes/Group")},
        }),
    ]
}

/// `/ServiceProviderConfig`.
pub fn service_provider_config(base: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
        "patch": {"supported": true},
        "bulk": {
            "supported": true,
            "maxOperations": BULK_MAX_OPERATIONS,
            "maxPayloadSize": BULK_MAX_PAYLOAD,
        },
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": true},
        "etag": {"supported": true},
        "authenticationSchemes": [{
            "type": "oauthbearertoken",
            "name": "Bearer token",
            "description": "A SCIM token of the tenant (usher token create --tenant T --scim)",
            "primary": true,
        }],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": format!("{base}/ServiceProviderConfig"),
        },
    })
}

/// RFC 7643's User attributes Usher does not keep (§4.1, §4.3).
const UNSTORED_USER: [&str; 14] = [
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "password",
    "ims",
    "photos",
    "addresses",
    "groups",
    "entitlements",
    "x509Certificates",
];

/// Sub-attributes of `name` Usher does not keep.
const UNSTORED_NAME: [&str; 4] = [
    "formatted",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
];

/// RFC 7643's enterprise attributes (§4.3).
const ENTERPRISE_ALL: [&str; 6] = [
    "employeeNumber",
    "costCenter",
    "organization",
    "division",
    "department",
    "manager",
];

fn listed(list: &[&str], name: &str) -> bool {
    list.iter().any(|a| a.eq_ignore_ascii_case(name))
}

/// What PATCH needs of the User schema of one tenant.
#[derive(Debug)]
pub struct UserPatchSchema<'a> {
    pub ext: &'a ExtensionNames,
}

fn find_attr<'a>(attrs: &'a [Attr], name: &str) -> Option<&'a Attr> {
    attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name))
}

impl PatchSchema for UserPatchSchema<'_> {
    fn canonical(&self, parent: Option<&str>, name: &str) -> Option<String> {
        match parent {
            // phoneNumbers is kept though not advertised (docs/scim.md), and
            // roles is written even where the tenant has none to advertise.
            None if name.eq_ignore_ascii_case("phoneNumbers") => Some("phoneNumbers".to_owned()),
            None if name.eq_ignore_ascii_case(ROLES) => Some(ROLES.to_owned()),
            None => {
                let all: Vec<Attr> = common_attributes()
                    .into_iter()
                    .chain(user_attributes())
                    .collect();
                find_attr(&all, name).map(|a| a.name.to_owned())
            }
            Some(p) if p.eq_ignore_ascii_case(ENTERPRISE_URN) => self
                .ext
                .enterprise
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(name))
                .map(|(s, _)| (*s).to_owned()),
            Some(p) if p.eq_ignore_ascii_case(USHER_USER_URN) => self
                .ext
                .usher
                .iter()
                .find(|n| n.eq_ignore_ascii_case(name))
                .cloned(),
            // Sub-attributes of the multi-valued attributes, advertised or
            // not: `primary` picks the login email, `type` the personal one.
            Some(p)
                if p.eq_ignore_ascii_case("emails") || p.eq_ignore_ascii_case("phoneNumbers") =>
            {
                ["value", "type", "primary", "display"]
                    .into_iter()
                    .find(|s| s.eq_ignore_ascii_case(name))
                    .map(str::to_owned)
            }
            Some(p) if p.eq_ignore_ascii_case(ROLES) => ROLE_SUB_ATTRIBUTES
                .into_iter()
                .find(|s| s.eq_ignore_ascii_case(name))
                .map(str::to_owned),
            Some(p) => {
                let all = user_attributes();
                find_attr(&all, p)
                    .and_then(|a| find_attr(&a.sub, name))
                    .map(|a| a.name.to_owned())
            }
        }
    }

    fn multi_valued(&self, name: &str) -> bool {
        ["emails", "phoneNumbers", ROLES]
            .iter()
            .any(|m| m.eq_ignore_ascii_case(name))
    }

    fn read_only(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("meta")
    }

    fn extensions(&self) -> Vec<&'static str> {
        vec![ENTERPRISE_URN, USHER_USER_URN]
    }

    fn case_exact(&self, _parent: &str, _sub: &str) -> bool {
        false
    }

    fn unstored(&self, extension: Option<&str>, name: &str, sub: Option<&str>) -> bool {
        match extension {
            None => {
                listed(&UNSTORED_USER, name)
                    || (name.eq_ignore_ascii_case("name")
                        && sub.is_some_and(|s| listed(&UNSTORED_NAME, s)))
            }
            // The enterprise attributes the tenant keeps no custom
            // attribute for, and `manager` (a reference Usher does not keep).
            Some(u) if u.eq_ignore_ascii_case(ENTERPRISE_URN) => {
                listed(&ENTERPRISE_ALL, name)
                    && !self
                        .ext
                        .enterprise
                        .iter()
                        .any(|(s, _)| s.eq_ignore_ascii_case(name))
            }
            Some(_) => false,
        }
    }
}

/// What PATCH needs of the Group schema.
#[derive(Debug)]
pub struct GroupPatchSchema;

impl PatchSchema for GroupPatchSchema {
    fn canonical(&self, parent: Option<&str>, name: &str) -> Option<String> {
        match parent {
            None => {
                let all: Vec<Attr> = common_attributes()
                    .into_iter()
                    .chain(group_attributes())
                    .collect();
                find_attr(&all, name).map(|a| a.name.to_owned())
            }
            Some(p) => {
                let all = group_attributes();
                find_attr(&all, p)
                    .and_then(|a| find_attr(&a.sub, name))
                    .map(|a| a.name.to_owned())
            }
        }
    }

    fn multi_valued(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("members")
    }

    fn read_only(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("meta")
    }

    fn extensions(&self) -> Vec<&'static str> {
        Vec::new()
    }

    fn case_exact(&self, parent: &str, sub: &str) -> bool {
        parent.eq_ignore_ascii_case("members") && sub.eq_ignore_ascii_case("value")
    }

    fn unstored(&self, _extension: Option<&str>, _name: &str, _sub: Option<&str>) -> bool {
        false
    }
}
