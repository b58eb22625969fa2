//! The fields each kind of import fills in, the column names CRM exports use for them, and
//! how a file's columns are matched to fields: the mapping's choice first (field names and
//! headers compared case-insensitively), then the usual names.
use std::collections::BTreeMap;

use serde::Serialize;
use specta::Type;

use super::Mapping;
use crate::error::{AppError, AppResult};
use crate::leads::norm;

/// A field an import can fill in.
pub trait Field: Copy + Ord + 'static {
    const ALL: &'static [Self];
    /// The name used in mapping files (`email`, `source_channel`, …).
    fn key(self) -> &'static str;
    /// The name people read.
    fn label(self) -> &'static str;
    /// Column names exports use for it, normalised (lowercase letters and digits), most
    /// telling first.
    fn synonyms(self) -> &'static [&'static str];

    fn parse(text: &str) -> Option<Self> {
        let t = norm(text);
        Self::ALL.iter().copied().find(|f| norm(f.key()) == t)
    }
}

macro_rules! fields {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $key:literal, $label:literal, [$($syn:literal),* $(,)?];)* }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),* }
        impl Field for $name {
            const ALL: &'static [Self] = &[$($name::$variant),*];
            fn key(self) -> &'static str { match self { $($name::$variant => $key),* } }
            fn label(self) -> &'static str { match self { $($name::$variant => $label),* } }
            fn synonyms(self) -> &'static [&'static str] { match self { $($name::$variant => &[$($syn),*]),* } }
        }
    };
}

fields! {
    /// What a contacts (or leads, or persons) file can fill in.
    ContactField {
        ExternalId = "external_id", "Id in the source system", ["playbookid", "recordid", "id", "leadid", "contactid", "personid", "prospectid", "externalid", "crmid", "hubspotid", "marketoid", "zohoid"];
        Email = "email", "Email", ["email", "emailaddress", "personemail", "workemail", "businessemail", "email1", "primaryemail", "personemailwork"];
        Salutation = "salutation", "Salutation", ["salutation", "honorific"];
        FirstName = "first_name", "First name", ["firstname", "personfirstname", "givenname", "forename", "first"];
        LastName = "last_name", "Last name", ["lastname", "personlastname", "surname", "familyname", "last"];
        FullName = "full_name", "Full name", ["name", "fullname", "personname", "contactname", "leadname", "contact"];
        AccountId = "account_id", "Account id in the source system", ["accountnameid", "accountid", "personorganizationid", "organizationid", "associatedcompanyids", "associatedcompanyid", "companyid"];
        Company = "company", "Company", ["company", "companyname", "accountname", "account", "companyaccount", "organization", "organisation", "personorganization", "organizationname", "associatedcompany"];
        Domain = "domain", "Website", ["website", "companydomainname", "domain", "companywebsite", "websiteurl"];
        Title = "title", "Job title", ["title", "jobtitle", "designation", "position", "persontitle", "personjobtitle"];
        Phone = "phone", "Phone", ["phone", "phonenumber", "personphone", "officephone", "workphone", "mobile", "mobilephone", "personphonework"];
        Country = "country", "Country", ["country", "countryregion", "mailingcountry", "primaryaddresscountry", "personcountry", "billingcountry"];
        Industry = "industry", "Industry", ["industry", "companyindustry", "vertical"];
        Employees = "employees", "Employees", ["employees", "numberofemployees", "noofemployees", "numemployees", "companysize", "employeecount"];
        Owner = "owner", "Owner", ["leadowner", "contactowner", "owner", "personowner", "owneremail", "recordowner", "leadownername", "ownerfullname", "salesowner", "assignedto", "assigneduser", "assignedusername", "salesagent", "ownerid"];
        SourceChannel = "source_channel", "Source", ["leadsource", "source", "originalsource", "personsource", "channel", "sourcechannel", "acquisitionprogram", "originalsourcetype"];
        SourceCampaign = "source_campaign", "Campaign", ["campaign", "campaignname", "sourcecampaign", "utmcampaign", "originalsourcedrilldown1", "program", "firstcampaign"];
        Status = "status", "Status / lifecycle stage", ["lifecyclestage", "leadstatus", "status", "stage", "lifecycle", "leadstage", "personlabel", "label", "revenuestage"];
        Converted = "converted", "Converted (yes/no)", ["isconverted", "converted"];
        CreatedAt = "created_at", "Created", ["createdate", "createddate", "createdtime", "datecreated", "createdat", "created", "personpersoncreated", "personcreated", "dateadded", "dateentered", "createdon"];
        ModifiedAt = "modified_at", "Last modified (the newest row decides the account's details)", ["modifiedtime", "lastmodifieddate", "lastmodified", "datemodified", "modifiedon", "updatedat", "personupdatetime", "lastmodifieddatetime"];
        BuyingRole = "buying_role", "Buying role", ["buyingrole", "contactrole", "persona"];
        BuyingStage = "buying_stage", "Buying stage", ["buyingstage", "buyerstage", "journeystage"];
        Budget = "budget", "Budget (BANT)", ["budget", "bantbudget"];
        Authority = "authority", "Authority (BANT)", ["authority", "bantauthority"];
        Need = "need", "Need (BANT)", ["need", "bantneed"];
        Timeline = "timeline", "Timeline (BANT)", ["timeline", "timeframe", "banttimeline", "purchasetimeframe"];
    }
}

fields! {
    /// What a handoff-history file (or a CRM's calls and tasks) can fill in.
    EventField {
        Contact = "contact", "Contact (email, id in the source system, or Playbook id)", ["contact", "contactid", "contactexternalid", "contactemail", "email", "emailaddress", "externalid", "leadid", "whoid", "contactnameid"];
        Related = "related", "Related record's id (used when no contact is named)", ["relatedtoid", "whatid", "regardingid"];
        ContactType = "contact_type", "Related record's type (Leads, Contacts, Accounts…)", ["relatedtomodule", "contacttype", "recordtype", "whotype", "module", "seid"];
        Kind = "kind", "Event", ["event", "kind", "type", "eventtype", "action", "calltype", "tasksubtype"];
        At = "at", "When", ["at", "date", "timestamp", "time", "occurredat", "callstarttime", "activitydate", "duedate", "createddate", "createdtime"];
        Id = "id", "Id of the event in the source system", ["id", "eventid", "activityid", "externalid", "recordid"];
        Actor = "actor", "Who did it", ["actor", "by", "user", "owner", "actoremail", "callowner", "taskowner", "ownerid"];
        Reason = "reason", "Reason", ["reason", "reasoncode"];
        Channel = "channel", "Channel", ["channel"];
        Note = "note", "Note", ["note", "notes", "comment", "subject", "description"];
        Assignee = "assignee", "Handed to", ["assignee", "assignedto", "handedto"];
    }
}

fields! {
    /// What an activities file (digital body language) can fill in.
    ActivityField {
        Contact = "contact", "Contact (email, id in the source system, or Playbook id)", ["contact", "contactid", "contactexternalid", "contactemail", "email", "emailaddress", "externalid", "leadid", "whoid", "contactnameid"];
        Related = "related", "Related record's id (used when no contact is named)", ["relatedtoid", "whatid", "regardingid"];
        ContactType = "contact_type", "Related record's type (Leads, Contacts, Accounts…)", ["relatedtomodule", "contacttype", "recordtype", "whotype", "module", "seid"];
        Kind = "kind", "Activity", ["activity", "activitytype", "type", "kind", "event", "calltype", "tasksubtype"];
        At = "at", "When", ["at", "date", "activitydate", "timestamp", "time", "occurredat", "callstarttime", "createddate", "createdtime"];
        Id = "id", "Id of the activity in the source system", ["id", "eventid", "activityid", "externalid", "recordid"];
        Detail = "detail", "Detail", ["detail", "details", "asset", "page", "url", "campaign", "description", "subject", "name"];
    }
}

fields! {
    /// What an accounts (companies, organizations) file can fill in.
    AccountField {
        ExternalId = "external_id", "Id in the source system", ["recordid", "id", "accountid", "companyid", "organizationid"];
        Name = "name", "Account name", ["accountname", "companyname", "organizationname", "name", "account", "company", "organization"];
        Website = "website", "Website", ["website", "companydomainname", "domain", "websiteurl", "organizationwebsite"];
        Industry = "industry", "Industry", ["industry", "sector", "organizationindustry"];
        Employees = "employees", "Employees", ["employees", "numberofemployees", "noofemployees", "employeecount", "organizationnumberofemployees"];
        Revenue = "revenue", "Annual revenue", ["annualrevenue", "revenue", "organizationannualrevenue"];
        Country = "country", "Country", ["billingcountry", "country", "countryregion", "organizationcountryofaddress", "officelocation", "shippingcountry"];
        Owner = "owner", "Owner", ["accountowner", "companyowner", "organizationowner", "owner", "ownerid"];
        ModifiedAt = "modified_at", "Last modified (the newest row wins)", ["modifiedtime", "lastmodifieddate", "lastmodified", "updatedat", "modifiedon", "datemodified", "organizationupdatetime", "lastmodifieddatetime"];
    }
}

fields! {
    /// What an opportunities (deals, potentials) file can fill in.
    OpportunityField {
        ExternalId = "external_id", "Id in the source system", ["recordid", "id", "opportunityid", "dealid", "potentialid"];
        Name = "name", "Opportunity name", ["potentialname", "dealname", "opportunityname", "dealtitle", "name", "title"];
        Account = "account", "Account", ["accountname", "account", "associatedcompany", "dealorganization", "organization", "company", "companyname"];
        AccountId = "account_id", "Account id in the source system", ["accountnameid", "accountid", "associatedcompanyids", "associatedcompanyid", "dealorganizationid", "organizationid"];
        Contact = "contact", "Primary contact (name or email)", ["contactname", "associatedcontact", "dealcontactperson", "contact", "primarycontact", "contactemail"];
        ContactId = "contact_id", "Primary contact's id in the source system", ["contactnameid", "contactid", "associatedcontactids", "associatedcontactid", "dealcontactpersonid", "primarycontactid"];
        Amount = "amount", "Amount", ["amount", "dealvalue", "value", "closevalue", "opportunityamount"];
        Currency = "currency", "Currency", ["currency", "currencyisocode", "dealcurrencyofvalue", "dealcurrency"];
        Stage = "stage", "Stage in the source system", ["stage", "stagename", "dealstage", "dealstagename"];
        Status = "status", "Open, won or lost", ["dealstatus", "status", "outcome"];
        IsWon = "is_won", "Won (yes/no)", ["iswon", "won"];
        IsClosed = "is_closed", "Closed (yes/no)", ["isclosed", "closed"];
        CloseDate = "close_date", "Close date", ["closingdate", "closedate", "dealdealclosedon", "dealclosedon", "dealexpectedclosedate", "expectedclosedate", "wondate"];
        CreatedAt = "created_at", "Created", ["createdtime", "createddate", "createdate", "dealdealcreated", "engagedate", "dateentered", "datecreated"];
        Owner = "owner", "Owner", ["potentialowner", "dealowner", "opportunityowner", "owner", "ownerid", "salesagent", "assignedto"];
        Product = "product", "Product", ["product", "productname", "dealproduct", "products"];
        LossReason = "loss_reason", "Loss reason", ["reasonforloss", "closedlostreason", "deallostreason", "lossreason", "lossreasonc", "lostreason"];
    }
}

fields! {
    /// What a CRM's users file (Zoho Users, Salesforce User, HubSpot owners) can fill in.
    UserField {
        ExternalId = "external_id", "Id in the source system", ["recordid", "id", "userid", "ownerid"];
        Email = "email", "Email", ["email", "emailaddress", "senderemail"];
        FirstName = "first_name", "First name", ["firstname", "first"];
        LastName = "last_name", "Last name", ["lastname", "last"];
        FullName = "full_name", "Full name", ["fullname", "name"];
        Active = "active", "Active (yes/no, Active/Inactive)", ["isactive", "status", "active", "userstatus"];
        Archived = "archived", "Archived or deactivated (yes/no)", ["archived", "deactivated", "isarchived"];
        Team = "team", "Role, department or team (tells marketing from sales)", ["teams", "team", "department", "role", "userrole", "profile", "title", "division"];
        Kind = "kind", "Kind of user (people, not system or integration users)", ["usertype", "type"];
    }
}

/// How one column is used, for the dry run and the window's mapping step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct ColumnUse {
    pub column: String,
    pub field: String,
    pub label: String,
}

/// A field an import can fill, for the window's mapping step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct FieldInfo {
    pub field: String,
    pub label: String,
    /// The column it is read from, if any.
    pub column: Option<String>,
}

/// Which column each field is read from.
#[derive(Debug, Clone)]
pub struct Columns<F: Field> {
    index: BTreeMap<F, usize>,
    headers: Vec<String>,
}

impl<F: Field> Columns<F> {
    /// Matches the file's headers to fields: the mapping's `[columns]` first, then the
    /// usual names. A header that appears twice cannot be read for a field.
    pub fn resolve(
        headers: &[String],
        duplicates: &[(String, Vec<usize>)],
        mapping: &Mapping,
    ) -> AppResult<Columns<F>> {
        let normalised: Vec<String> = headers.iter().map(|h| norm(h)).collect();
        let mut index: BTreeMap<F, usize> = BTreeMap::new();
        let mut chosen: BTreeMap<F, Option<usize>> = BTreeMap::new();
        for (field, header) in &mapping.columns {
            let Some(f) = F::parse(field) else {
                let all: Vec<&str> = F::ALL.iter().map(|f| f.key()).collect();
                return Err(AppError::invalid(
                    "mapping",
                    format!(
                        "mapping: '{field}' is not a field of this import; use one of {}",
                        all.join(", ")
                    ),
                ));
            };
            if header.trim().is_empty() {
                chosen.insert(f, None);
                continue;
            }
            // "#4" names the fourth column (for files whose headers repeat).
            let by_number = header
                .trim()
                .strip_prefix('#')
                .and_then(|n| n.parse::<usize>().ok())
                .filter(|n| (1..=headers.len()).contains(n))
                .map(|n| n - 1);
            let i = by_number
                .or_else(|| headers.iter().position(|h| h == header.trim()))
                .or_else(|| normalised.iter().position(|h| *h == norm(header)))
                .ok_or_else(|| {
                    AppError::invalid(
                        "mapping",
                        format!(
                            "mapping: the file has no column '{header}' (for {}); its columns are {}",
                            f.key(),
                            headers.join(", ")
                        ),
                    )
                })?;
            chosen.insert(f, Some(i));
        }
        let taken = |index: &BTreeMap<F, usize>, i: usize| index.values().any(|v| *v == i);
        for (f, i) in &chosen {
            if let Some(i) = i {
                if let Some((other, _)) = index.iter().find(|(_, j)| *j == i) {
                    return Err(AppError::invalid(
                        "mapping",
                        format!(
                            "mapping: the column '{}' is named for both {} and {}; a column feeds one field",
                            headers[*i],
                            other.key(),
                            f.key()
                        ),
                    ));
                }
                index.insert(*f, *i);
            }
        }
        for &f in F::ALL {
            if chosen.contains_key(&f) {
                continue;
            }
            if let Some(i) = f.synonyms().iter().find_map(|s| {
                (0..normalised.len()).find(|&i| normalised[i] == *s && !taken(&index, i))
            }) {
                index.insert(f, i);
            }
        }
        for (name, positions) in duplicates {
            let numbered = |f: &F| {
                mapping
                    .columns
                    .iter()
                    .any(|(k, v)| F::parse(k) == Some(*f) && v.trim().starts_with('#'))
            };
            if let Some((f, _)) = index
                .iter()
                .find(|(f, i)| positions.contains(i) && !numbered(f))
            {
                let mut cols: Vec<String> = positions
                    .iter()
                    .take(5)
                    .map(|p| (p + 1).to_string())
                    .collect();
                if positions.len() > 5 {
                    cols.push(format!("{} more", positions.len() - 5));
                }
                return Err(AppError::invalid(
                    "file",
                    format!(
                        "columns {} are all named '{name}', so Playbook cannot tell which holds the {}; rename one, or name the column by its number in a mapping ({} = \"#{}\")",
                        cols.join(" and "),
                        f.label().to_lowercase(),
                        f.key(),
                        positions[0] + 1
                    ),
                ));
            }
        }
        Ok(Columns {
            index,
            headers: headers.to_vec(),
        })
    }

    pub fn get(&self, f: F) -> Option<usize> {
        self.index.get(&f).copied()
    }

    pub fn has(&self, f: F) -> bool {
        self.index.contains_key(&f)
    }

    /// The header a field is read from, or the field's name when it is not in the file.
    pub fn header(&self, f: F) -> String {
        self.get(f)
            .map(|i| self.headers[i].clone())
            .unwrap_or_else(|| f.key().to_string())
    }

    pub fn headers(&self) -> &[String] {
        &self.headers
    }

    /// Drops a field (when a column turns out to mean something else).
    pub fn remap(&mut self, from: F, to: F) {
        if let Some(i) = self.index.remove(&from) {
            self.index.entry(to).or_insert(i);
        }
    }

    /// Every column in use, in file order.
    pub fn uses(&self) -> Vec<ColumnUse> {
        let mut v: Vec<(usize, F)> = self.index.iter().map(|(f, i)| (*i, *f)).collect();
        v.sort();
        v.into_iter()
            .map(|(i, f)| ColumnUse {
                column: self.headers[i].clone(),
                field: f.key().to_string(),
                label: f.label().to_string(),
            })
            .collect()
    }

    /// The columns no field reads.
    pub fn unmapped(&self) -> Vec<String> {
        self.headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !h.is_empty() && !self.index.values().any(|v| v == i))
            .map(|(_, h)| h.clone())
            .collect()
    }

    /// Every field with the column it is read from.
    pub fn fields(&self) -> Vec<FieldInfo> {
        F::ALL
            .iter()
            .map(|f| FieldInfo {
                field: f.key().to_string(),
                label: f.label().to_string(),
                column: self.get(*f).map(|i| self.headers[i].clone()),
            })
            .collect()
    }

    /// The refusal for a file in which none of `needed` is found: its headers, and the
    /// field names a mapping can use.
    pub fn missing(&self, what: &str, needed: &[F]) -> AppError {
        let needed: Vec<&str> = needed.iter().map(|f| f.key()).collect();
        let all: Vec<&str> = F::ALL.iter().map(|f| f.key()).collect();
        AppError::invalid(
            "mapping",
            format!(
                "Playbook does not recognise a column for {what} in this file. Its columns: {}. Map one in a mapping file ([columns] {} = \"Your column\"); the fields are {}",
                self.headers.join(", "),
                needed.join(" or "),
                all.join(", ")
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn usual_names_and_the_mapping_case_insensitively() {
        let headers = h(&[
            "Record Id",
            "Lead Owner.id",
            "Lead Owner",
            "E-Mail",
            "Lead Status",
        ]);
        let mut m = Mapping::default();
        m.columns.insert("EMAIL".into(), "e-mail".into());
        let c = Columns::<ContactField>::resolve(&headers, &[], &m).unwrap();
        assert_eq!(c.header(ContactField::ExternalId), "Record Id");
        assert_eq!(c.header(ContactField::Owner), "Lead Owner");
        assert_eq!(c.header(ContactField::Email), "E-Mail");
        assert_eq!(c.header(ContactField::Status), "Lead Status");
        assert_eq!(c.unmapped(), vec!["Lead Owner.id".to_string()]);
    }

    #[test]
    fn a_duplicated_header_cannot_be_read_and_unknown_names_are_explained() {
        let headers = h(&["Email", "Name", "Email"]);
        let dups = vec![("Email".to_string(), vec![0, 2])];
        let e = Columns::<ContactField>::resolve(&headers, &dups, &Mapping::default()).unwrap_err();
        assert!(
            e.message.contains("columns 1 and 3 are all named 'Email'"),
            "{}",
            e.message
        );
        let mut m = Mapping::default();
        m.columns.insert("mail".into(), "Email".into());
        let e = Columns::<ContactField>::resolve(&headers, &[], &m).unwrap_err();
        assert!(e.message.contains("'mail' is not a field"), "{}", e.message);
        m.columns.clear();
        m.columns.insert("email".into(), "Courriel".into());
        let e = Columns::<ContactField>::resolve(&headers, &[], &m).unwrap_err();
        assert!(e.message.contains("no column 'Courriel'") && e.message.contains("Email, Name"));
    }
}
