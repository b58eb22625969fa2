//! Recognising what a CRM export is: its column names (Salesforce, HubSpot, Zoho,
//! Pipedrive, Marketo, plain spreadsheets) and its default status values.
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use specta::Type;

use crate::leads::norm;

/// What a contacts file can fill in.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, Type,
)]
#[serde(rename_all = "snake_case")]
pub enum ContactField {
    ExternalId,
    Email,
    FirstName,
    LastName,
    FullName,
    Company,
    Domain,
    Title,
    Phone,
    Country,
    Industry,
    Employees,
    Owner,
    SourceChannel,
    SourceCampaign,
    Status,
    CreatedAt,
    BuyingRole,
    BuyingStage,
    Budget,
    Authority,
    Need,
    Timeline,
}

impl ContactField {
    pub const ALL: [ContactField; 23] = [
        ContactField::ExternalId,
        ContactField::Email,
        ContactField::FirstName,
        ContactField::LastName,
        ContactField::FullName,
        ContactField::Company,
        ContactField::Domain,
        ContactField::Title,
        ContactField::Phone,
        ContactField::Country,
        ContactField::Industry,
        ContactField::Employees,
        ContactField::Owner,
        ContactField::SourceChannel,
        ContactField::SourceCampaign,
        ContactField::Status,
        ContactField::CreatedAt,
        ContactField::BuyingRole,
        ContactField::BuyingStage,
        ContactField::Budget,
        ContactField::Authority,
        ContactField::Need,
        ContactField::Timeline,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ContactField::ExternalId => "external_id",
            ContactField::Email => "email",
            ContactField::FirstName => "first_name",
            ContactField::LastName => "last_name",
            ContactField::FullName => "full_name",
            ContactField::Company => "company",
            ContactField::Domain => "domain",
            ContactField::Title => "title",
            ContactField::Phone => "phone",
            ContactField::Country => "country",
            ContactField::Industry => "industry",
            ContactField::Employees => "employees",
            ContactField::Owner => "owner",
            ContactField::SourceChannel => "source_channel",
            ContactField::SourceCampaign => "source_campaign",
            ContactField::Status => "status",
            ContactField::CreatedAt => "created_at",
            ContactField::BuyingRole => "buying_role",
            ContactField::BuyingStage => "buying_stage",
            ContactField::Budget => "budget",
            ContactField::Authority => "authority",
            ContactField::Need => "need",
            ContactField::Timeline => "timeline",
        }
    }

    pub fn parse(text: &str) -> Option<ContactField> {
        let t = norm(text);
        Self::ALL.into_iter().find(|f| norm(f.as_str()) == t)
    }

    /// The column names exports use for this field, normalised (lowercase letters and digits).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            ContactField::ExternalId => &[
                "id",
                "leadid",
                "contactid",
                "recordid",
                "personid",
                "externalid",
                "crmid",
                "hubspotid",
                "marketoid",
                "zohoid",
            ],
            ContactField::Email => &[
                "email",
                "emailaddress",
                "personemail",
                "workemail",
                "businessemail",
                "email1",
                "primaryemail",
                "personemailwork",
            ],
            ContactField::FirstName => &[
                "firstname",
                "personfirstname",
                "givenname",
                "forename",
                "first",
            ],
            ContactField::LastName => &[
                "lastname",
                "personlastname",
                "surname",
                "familyname",
                "last",
            ],
            ContactField::FullName => &[
                "name",
                "fullname",
                "personname",
                "contactname",
                "leadname",
                "contact",
            ],
            ContactField::Company => &[
                "company",
                "companyname",
                "account",
                "accountname",
                "companyaccount",
                "organization",
                "organisation",
                "personorganization",
                "organizationname",
                "associatedcompany",
            ],
            ContactField::Domain => &["website", "companydomainname", "domain", "companywebsite"],
            ContactField::Title => &[
                "title",
                "jobtitle",
                "designation",
                "position",
                "role",
                "persontitle",
                "personjobtitle",
            ],
            ContactField::Phone => &[
                "phone",
                "phonenumber",
                "personphone",
                "mobile",
                "mobilephone",
                "workphone",
                "personphonework",
            ],
            ContactField::Country => &[
                "country",
                "countryregion",
                "mailingcountry",
                "personcountry",
                "billingcountry",
            ],
            ContactField::Industry => &["industry", "companyindustry", "vertical"],
            ContactField::Employees => &[
                "employees",
                "numberofemployees",
                "noofemployees",
                "numemployees",
                "companysize",
                "employeecount",
            ],
            ContactField::Owner => &[
                "owner",
                "leadowner",
                "contactowner",
                "personowner",
                "owneremail",
                "recordowner",
                "leadownername",
                "ownerfullname",
                "salesowner",
                "ownerid",
            ],
            ContactField::SourceChannel => &[
                "source",
                "leadsource",
                "originalsource",
                "personsource",
                "channel",
                "sourcechannel",
                "acquisitionprogram",
                "originalsourcetype",
            ],
            ContactField::SourceCampaign => &[
                "campaign",
                "campaignname",
                "sourcecampaign",
                "utmcampaign",
                "originalsourcedrilldown1",
                "program",
                "firstcampaign",
            ],
            ContactField::Status => &[
                "lifecyclestage",
                "leadstatus",
                "status",
                "stage",
                "lifecycle",
                "leadstage",
                "personlabel",
                "label",
                "revenuestage",
            ],
            ContactField::CreatedAt => &[
                "createdate",
                "createddate",
                "createdtime",
                "createdat",
                "created",
                "personpersoncreated",
                "personcreated",
                "dateadded",
                "createdon",
            ],
            ContactField::BuyingRole => &["buyingrole", "contactrole", "persona"],
            ContactField::BuyingStage => &["buyingstage", "buyerstage", "journeystage"],
            ContactField::Budget => &["budget", "bantbudget"],
            ContactField::Authority => &["authority", "bantauthority"],
            ContactField::Need => &["need", "bantneed"],
            ContactField::Timeline => {
                &["timeline", "timeframe", "banttimeline", "purchasetimeframe"]
            }
        }
    }
}

/// Guesses the export's origin from its headers, for the summary and the preview.
pub fn detect_dialect(headers: &[String]) -> &'static str {
    let h: Vec<String> = headers.iter().map(|s| norm(s)).collect();
    let has = |name: &str| h.iter().any(|x| x == name);
    if h.iter().any(|x| x.starts_with("person")) {
        "Pipedrive"
    } else if has("lifecyclestage") || has("contactowner") || has("originalsource") {
        "HubSpot"
    } else if has("designation") || has("createdtime") {
        "Zoho CRM"
    } else if has("acquisitionprogram") || has("emailaddress") && has("leadscore") {
        "Marketo"
    } else if has("leadowner") || has("createddate") || has("companyaccount") || has("leadsource") {
        "Salesforce"
    } else {
        "Spreadsheet"
    }
}

/// The usual mapping: each field to the first header that is one of its synonyms.
/// HubSpot's lifecycle stage wins over its lead status when both are present.
pub fn default_mapping(headers: &[String]) -> BTreeMap<ContactField, String> {
    let mut map = BTreeMap::new();
    let normalised: Vec<String> = headers.iter().map(|s| norm(s)).collect();
    for field in ContactField::ALL {
        for synonym in field.synonyms() {
            if let Some(i) = normalised.iter().position(|h| h == synonym) {
                if !map.values().any(|v: &String| *v == headers[i]) {
                    map.insert(field, headers[i].clone());
                }
                break;
            }
        }
    }
    // Pipedrive writes "Person - Name" and the split names; prefer the split ones.
    if map.contains_key(&ContactField::FirstName) && map.contains_key(&ContactField::LastName) {
        map.remove(&ContactField::FullName);
    }
    map
}

/// Status values of the common CRMs, normalised, and the default lifecycle stage each
/// means. A value not listed and not naming a stage maps to nothing (the first stage).
pub fn default_status_stage(value: &str) -> Option<&'static str> {
    Some(match norm(value).as_str() {
        "new" | "open" | "opennotcontacted" | "notcontacted" | "subscriber" | "lead"
        | "inquiry" | "raw" | "cold" | "coldlead" | "knownlead" | "anonymous" | "prospect"
        | "newlead" => "inquiry",
        "mql"
        | "marketingqualifiedlead"
        | "marketingqualified"
        | "prequalified"
        | "warm"
        | "hot"
        | "hotlead"
        | "warmlead"
        | "engaged" => "mql",
        "sal" | "salesacceptedlead" | "salesaccepted" | "accepted" | "workingcontacted"
        | "working" | "attemptedtocontact" | "contacted" | "inprogress" | "connected" => "sal",
        "sql" | "salesqualifiedlead" | "salesqualified" | "qualified" | "openqualified" => "sql",
        "opportunity" | "closedconverted" | "converted" | "deal" => "opportunity",
        "customer" | "evangelist" | "closedwon" | "won" => "customer",
        "nurture" | "recycled" | "contactinfuture" | "closednotconverted" | "badtiming"
        | "notready" => "nurture",
        "disqualified" | "junklead" | "unqualified" | "notqualified" | "lostlead" | "junk"
        | "invalid" | "other" => "disqualified",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn each_dialect_is_recognised_with_its_columns() {
        let sf = headers(&[
            "Lead ID",
            "First Name",
            "Last Name",
            "Title",
            "Company / Account",
            "Email",
            "Lead Source",
            "Lead Status",
            "Lead Owner",
            "Create Date",
        ]);
        assert_eq!(detect_dialect(&sf), "Salesforce");
        let m = default_mapping(&sf);
        assert_eq!(m[&ContactField::Company], "Company / Account");
        assert_eq!(m[&ContactField::Status], "Lead Status");
        assert_eq!(m[&ContactField::Owner], "Lead Owner");

        let hs = headers(&[
            "Record ID",
            "First Name",
            "Last Name",
            "Email",
            "Lifecycle Stage",
            "Lead Status",
            "Contact owner",
            "Create Date",
            "Original Source",
        ]);
        assert_eq!(detect_dialect(&hs), "HubSpot");
        let m = default_mapping(&hs);
        assert_eq!(
            m[&ContactField::Status],
            "Lifecycle Stage",
            "HubSpot's lifecycle stage is the stage"
        );

        let pd = headers(&[
            "Person - ID",
            "Person - Name",
            "Person - First name",
            "Person - Last name",
            "Person - Email",
            "Person - Organization",
            "Person - Owner",
            "Person - Person created",
            "Person - Label",
        ]);
        assert_eq!(detect_dialect(&pd), "Pipedrive");
        let m = default_mapping(&pd);
        assert_eq!(m[&ContactField::Email], "Person - Email");
        assert_eq!(m[&ContactField::CreatedAt], "Person - Person created");
        assert!(!m.contains_key(&ContactField::FullName));
    }

    #[test]
    fn common_statuses_map_to_stages() {
        assert_eq!(
            default_status_stage("Marketing Qualified Lead"),
            Some("mql")
        );
        assert_eq!(
            default_status_stage("Closed - Not Converted"),
            Some("nurture")
        );
        assert_eq!(default_status_stage("Junk Lead"), Some("disqualified"));
        assert_eq!(default_status_stage("salesqualifiedlead"), Some("sql"));
        assert_eq!(default_status_stage("Very Interesting"), None);
    }
}
