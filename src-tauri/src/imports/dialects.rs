//! Recognising what a CRM export is: which system wrote it (Salesforce, HubSpot, Zoho,
//! Pipedrive, Marketo, SuiteCRM, Mautic, or a plain spreadsheet), which kind of record it
//! holds (leads, contacts, persons), and what its status values mean.
use serde::Serialize;
use specta::Type;

use crate::leads::norm;

/// Where a file's ids come from: ids are only unique within one system and record type
/// (a Zoho lead 2585 and a Zoho contact 2585 are different people).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Source {
    /// The system's key (`zoho`, `salesforce`, …, `spreadsheet`, or the user's own name).
    pub system: String,
    /// The system's name as people know it.
    pub name: String,
    /// `lead`, `contact`, `person`, … or empty when the file does not say.
    pub record_type: String,
}

const SYSTEMS: [(&str, &str); 9] = [
    ("salesforce", "Salesforce"),
    ("hubspot", "HubSpot"),
    ("zoho", "Zoho CRM"),
    ("pipedrive", "Pipedrive"),
    ("marketo", "Marketo"),
    ("suitecrm", "SuiteCRM"),
    ("mautic", "Mautic"),
    ("spreadsheet", "Spreadsheet"),
    ("playbook", "Playbook export"),
];

/// The system that wrote a file with these headers (and first id), by the columns only
/// that system writes.
fn detect_system(h: &[String], first_id: Option<&str>) -> &'static str {
    let has = |name: &str| h.iter().any(|x| x == name);
    let any = |names: &[&str]| names.iter().any(|n| has(n));
    if has("playbookid") {
        "playbook"
    } else if first_id.is_some_and(is_salesforce_id) {
        "salesforce"
    } else if h
        .iter()
        .any(|x| x.starts_with("person") || x.starts_with("deal") || x.starts_with("organization"))
        && (h.iter().filter(|x| x.starts_with("person")).count() > 2
            || h.iter().filter(|x| x.starts_with("deal")).count() > 2
            || h.iter().filter(|x| x.starts_with("organization")).count() > 2)
    {
        "pipedrive"
    } else if first_id.is_some_and(|id| id.starts_with("zcrm_"))
        || any(&[
            "leadownerid",
            "contactownerid",
            "potentialownerid",
            "accountownerid",
            "createdtime",
        ])
        || has("designation")
    {
        "zoho"
    } else if any(&[
        "isdeleted",
        "systemmodstamp",
        "ownerid",
        "createdbyid",
        "lastmodifiedbyid",
    ]) && any(&["id", "createddate"])
        || any(&["companyaccount", "leadowner"]) && any(&["createdate", "leadid"])
    {
        "salesforce"
    } else if any(&[
        "lifecyclestage",
        "contactowner",
        "originalsource",
        "companydomainname",
        "associatedcompany",
        "dealowner",
        "companyowner",
        "useridincludinginactive",
    ]) || has("recordid") && any(&["dealstage", "dealname"])
        || has("recordid") && any(&["createdate", "companyname"])
    {
        "hubspot"
    } else if any(&["acquisitionprogram", "marketoid"]) || has("emailaddress") && has("leadscore") {
        "marketo"
    } else if any(&[
        "primaryaddresscountry",
        "assignedusername",
        "assigneduser",
        "assignedto",
        "datecreated",
        "dateentered",
    ]) && any(&[
        "emailaddress",
        "officephone",
        "primaryaddresscity",
        "status",
    ]) {
        "suitecrm"
    } else if has("firstname")
        && has("lastname")
        && any(&["points", "lastactive", "attribution", "dateadded"])
    {
        "mautic"
    } else {
        "spreadsheet"
    }
}

/// Whether an id has the shape of a Salesforce record id: 15 or 18 letters and digits,
/// starting with the prefix of a record type Playbook imports.
fn is_salesforce_id(id: &str) -> bool {
    const PREFIXES: [&str; 9] = [
        "00Q", "003", "001", "006", "005", "00T", "00U", "00G", "701",
    ];
    (id.len() == 15 || id.len() == 18)
        && id.chars().all(|c| c.is_ascii_alphanumeric())
        && PREFIXES.iter().any(|p| id.starts_with(p))
        && id.chars().any(|c| c.is_ascii_digit())
}

/// The kind of record a file holds, from its headers, or from Salesforce's id prefixes.
fn detect_record_type(system: &str, h: &[String], first_id: Option<&str>) -> &'static str {
    let has = |name: &str| h.iter().any(|x| x == name);
    let any = |names: &[&str]| names.iter().any(|n| has(n));
    if system == "salesforce" {
        match first_id.map(|id| id.get(..3).unwrap_or_default()) {
            Some("00Q") => return "lead",
            Some("003") => return "contact",
            _ => {}
        }
    }
    if system == "playbook" {
        "contact"
    } else if system == "suitecrm" && any(&["converted", "status", "leadsource"]) {
        // SuiteCRM's leads carry "Reports To" and "Converted" alike; its contacts neither
        // a status nor a converted flag.
        "lead"
    } else if system == "pipedrive" && h.iter().any(|x| x.starts_with("person")) {
        "person"
    } else if any(&[
        "leadowner",
        "leadstatus",
        "leadid",
        "leadname",
        "leadnumber",
        "isconverted",
        "convertedcontactid",
        "prospectid",
    ]) {
        "lead"
    } else if any(&[
        "contactowner",
        "contactid",
        "reportsto",
        "reportstoid",
        "mailingcountry",
    ]) || matches!(system, "hubspot" | "mautic")
    {
        "contact"
    } else {
        ""
    }
}

/// What wrote the file and what it holds; `system` and `record_type` override the guess
/// (a mapping file or the command line can name them).
pub fn detect(
    headers: &[String],
    first_id: Option<&str>,
    system: Option<&str>,
    record_type: Option<&str>,
) -> Source {
    let h: Vec<String> = headers.iter().map(|s| norm(s)).collect();
    let guessed = detect_system(&h, first_id);
    let system = system
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| guessed.to_string());
    let name = SYSTEMS
        .iter()
        .find(|(k, _)| *k == system)
        .map_or(system.clone(), |(_, n)| n.to_string());
    let record_type = record_type
        .map(|s| s.trim().to_lowercase())
        .unwrap_or_else(|| detect_record_type(&system, &h, first_id).to_string());
    Source {
        system,
        name,
        record_type,
    }
}

/// Status values of the common CRMs, normalised, and the default lifecycle stage each
/// means. A value not listed and not naming a stage maps to nothing (the first stage).
pub fn default_status_stage(value: &str) -> Option<&'static str> {
    Some(match norm(value).as_str() {
        "new" | "open" | "opennotcontacted" | "notcontacted" | "subscriber" | "lead"
        | "inquiry" | "raw" | "cold" | "coldlead" | "knownlead" | "anonymous" | "prospect"
        | "newlead" | "visitor" => "inquiry",
        "mql"
        | "marketingqualifiedlead"
        | "marketingqualified"
        | "prequalified"
        | "warm"
        | "hot"
        | "hotlead"
        | "warmlead"
        | "engaged"
        | "assigned" => "mql",
        "sal" | "salesacceptedlead" | "salesaccepted" | "accepted" | "workingcontacted"
        | "working" | "attemptedtocontact" | "contacted" | "inprogress" | "inprocess"
        | "connected" | "engaging" | "prospecting" => "sal",
        "sql" | "salesqualifiedlead" | "salesqualified" | "qualified" | "openqualified" => "sql",
        "opportunity" | "closedconverted" | "converted" | "deal" => "opportunity",
        "customer" | "evangelist" | "closedwon" | "won" => "customer",
        "nurture" | "nurturing" | "recycled" | "contactinfuture" | "closednotconverted"
        | "badtiming" | "notready" | "lost" | "closedlost" => "nurture",
        "disqualified" | "junklead" | "unqualified" | "notqualified" | "lostlead" | "junk"
        | "invalid" | "other" | "dead" => "disqualified",
        _ => return None,
    })
}

/// Whether a "converted" flag says yes.
pub fn is_yes(value: &str) -> bool {
    matches!(
        norm(value).as_str(),
        "true" | "yes" | "y" | "1" | "converted" | "x"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn systems_and_record_types_are_recognised() {
        let zoho_leads = headers(&[
            "Record Id",
            "Lead Owner.id",
            "Lead Owner",
            "Email",
            "Lead Status",
            "Created Time",
        ]);
        let s = detect(&zoho_leads, Some("zcrm_4876876000000002585"), None, None);
        assert_eq!(
            (s.system.as_str(), s.name.as_str(), s.record_type.as_str()),
            ("zoho", "Zoho CRM", "lead")
        );
        let zoho_contacts = headers(&[
            "Record Id",
            "Contact Owner.id",
            "Contact Owner",
            "Email",
            "Created Time",
        ]);
        assert_eq!(
            detect(&zoho_contacts, None, None, None).record_type,
            "contact"
        );
        let sf = headers(&[
            "Id",
            "IsDeleted",
            "LastName",
            "Email",
            "OwnerId",
            "CreatedDate",
        ]);
        assert_eq!(
            detect(&sf, Some("00Q5g00007LeD00EAF"), None, None).record_type,
            "lead"
        );
        assert_eq!(
            detect(&sf, Some("0035g00005CoN00AAF"), None, None).record_type,
            "contact"
        );
        let suite = headers(&[
            "First Name",
            "Last Name",
            "ID",
            "Email Address",
            "Status",
            "Assigned to",
            "Date Created",
            "Primary Address Country",
        ]);
        assert_eq!(detect(&suite, None, None, None).name, "SuiteCRM");
        let mautic = headers(&[
            "id",
            "title",
            "firstname",
            "lastname",
            "email",
            "points",
            "stage",
        ]);
        assert_eq!(detect(&mautic, None, None, None).name, "Mautic");
        let pd = headers(&[
            "Person - ID",
            "Person - Name",
            "Person - Email",
            "Person - Owner",
        ]);
        let s = detect(&pd, None, None, None);
        assert_eq!(
            (s.name.as_str(), s.record_type.as_str()),
            ("Pipedrive", "person")
        );
        let plain = headers(&["Email", "First Name", "Last Name", "Company", "Created"]);
        let s = detect(&plain, None, None, None);
        assert_eq!(
            (s.name.as_str(), s.record_type.as_str()),
            ("Spreadsheet", "")
        );
        let named = detect(&plain, None, Some("Legacy CRM"), Some("Lead"));
        assert_eq!(
            (named.system.as_str(), named.record_type.as_str()),
            ("legacy crm", "lead")
        );
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
        assert_eq!(default_status_stage("Closed Lost"), Some("nurture"));
        assert_eq!(default_status_stage("Nurturing"), Some("nurture"));
        assert_eq!(default_status_stage("Engaging"), Some("sal"));
        assert_eq!(default_status_stage("Very Interesting"), None);
    }
}
