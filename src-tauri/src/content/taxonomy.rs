//! The content taxonomy in force: buying stages (in journey order), personas, risk points
//! and asset kinds, with their names. Asset tags are checked against it; the facets, the
//! coverage matrix and the recommendations are laid out by it.
use chrono::{DateTime, Utc};
use serde::Serialize;
use specta::Type;

use super::Named;
use crate::agreements::{
    store, AgreementBody, AgreementKind, AssetKindBody, BuyingStageBody, PersonaBody,
};
use crate::db::Conn;
use crate::error::{AppError, AppResult};

/// The agreed content taxonomy, as the window and the CLI see it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Type)]
#[serde(rename_all = "camelCase")]
pub struct Taxonomy {
    /// Buying stages in journey order.
    pub stages: Vec<Named>,
    pub personas: Vec<Named>,
    pub risks: Vec<Named>,
    pub kinds: Vec<Named>,
    #[serde(skip)]
    pub stage_bodies: Vec<BuyingStageBody>,
    #[serde(skip)]
    pub persona_bodies: Vec<PersonaBody>,
    #[serde(skip)]
    pub kind_bodies: Vec<AssetKindBody>,
}

impl Taxonomy {
    /// The taxonomy in force at `now`.
    pub async fn load(conn: &mut Conn, now: DateTime<Utc>) -> AppResult<Taxonomy> {
        let mut t = Taxonomy::default();
        let mut stages: Vec<(u32, Named, BuyingStageBody)> = Vec::new();
        for kind in [
            AgreementKind::BuyingStage,
            AgreementKind::Persona,
            AgreementKind::Risk,
            AgreementKind::AssetKind,
        ] {
            for item in store::load_items(&mut *conn, Some(kind), now).await? {
                let Some(v) = item.in_force else { continue };
                let label = Named {
                    key: item.key,
                    name: v.name,
                };
                match v.body {
                    AgreementBody::BuyingStage(b) => stages.push((b.position, label, b)),
                    AgreementBody::Persona(b) => {
                        t.personas.push(label);
                        t.persona_bodies.push(b);
                    }
                    AgreementBody::Risk(_) => t.risks.push(label),
                    AgreementBody::AssetKind(b) => {
                        t.kinds.push(label);
                        t.kind_bodies.push(b);
                    }
                    _ => {}
                }
            }
        }
        stages.sort_by(|a, b| (a.0, &a.1.name).cmp(&(b.0, &b.1.name)));
        for (_, label, body) in stages {
            t.stages.push(label);
            t.stage_bodies.push(body);
        }
        Ok(t)
    }

    pub fn name_of<'a>(labels: &'a [Named], key: &str) -> Option<&'a str> {
        labels
            .iter()
            .find(|l| l.key == key)
            .map(|l| l.name.as_str())
    }

    /// Checks that every key is agreed in this part of the taxonomy; returns them
    /// deduplicated, in the taxonomy's order.
    pub fn check(
        labels: &[Named],
        field: &str,
        what: &str,
        keys: &[String],
    ) -> AppResult<Vec<String>> {
        for k in keys {
            if !labels.iter().any(|l| l.key == *k) {
                let known: Vec<&str> = labels.iter().map(|l| l.key.as_str()).collect();
                return Err(AppError::invalid(
                    field,
                    format!(
                        "{field}: '{k}' is not an agreed {what}; use one of {}",
                        if known.is_empty() {
                            "(none agreed yet)".to_string()
                        } else {
                            known.join(", ")
                        }
                    ),
                ));
            }
        }
        Ok(labels
            .iter()
            .filter(|l| keys.contains(&l.key))
            .map(|l| l.key.clone())
            .collect())
    }

    /// The review period of an asset kind, in months.
    pub fn review_months(&self, kind: &str) -> Option<u32> {
        self.kinds
            .iter()
            .position(|k| k.key == kind)
            .and_then(|i| self.kind_bodies[i].review_months)
    }

    /// The buying stage a contact is in: the furthest stage whose definition takes the
    /// contact's buying stage or lifecycle stage.
    pub fn stage_of(
        &self,
        buying_stage: Option<crate::leads::BuyingStage>,
        lifecycle: &str,
    ) -> Option<&Named> {
        self.stage_bodies
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                buying_stage.is_some_and(|s| b.contact_stages.contains(&s))
                    || b.lifecycle_stages.iter().any(|l| l == lifecycle)
            })
            .map(|(i, _)| &self.stages[i])
            .next_back()
    }

    /// The personas a contact is.
    pub fn personas_of(&self, role: Option<crate::leads::BuyingRole>, title: &str) -> Vec<&Named> {
        self.persona_bodies
            .iter()
            .enumerate()
            .filter(|(_, b)| b.matches(role, title))
            .map(|(i, _)| &self.personas[i])
            .collect()
    }
}
