//! Roles, what each may do, and whose cases each may see.

use crate::case::ActionKind;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Dispatcher,
    StationOfficer,
    GridWorker,
    PatrolMember,
    EnterpriseSecurity,
    Mediator,
    PetitionOfficer,
    Volunteer,
    Resident,
    Leader,
    Admin,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Dispatcher,
        Role::StationOfficer,
        Role::GridWorker,
        Role::PatrolMember,
        Role::EnterpriseSecurity,
        Role::Mediator,
        Role::PetitionOfficer,
        Role::Volunteer,
        Role::Resident,
        Role::Leader,
        Role::Admin,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Dispatcher => "dispatcher",
            Role::StationOfficer => "station_officer",
            Role::GridWorker => "grid_worker",
            Role::PatrolMember => "patrol_member",
            Role::EnterpriseSecurity => "enterprise_security",
            Role::Mediator => "mediator",
            Role::PetitionOfficer => "petition_officer",
            Role::Volunteer => "volunteer",
            Role::Resident => "resident",
            Role::Leader => "leader",
            Role::Admin => "admin",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
    pub fn name_zh(&self) -> &'static str {
        match self {
            Role::Dispatcher => "指挥中心值班员",
            Role::StationOfficer => "联勤警务站民警",
            Role::GridWorker => "网格员",
            Role::PatrolMember => "综管队员",
            Role::EnterpriseSecurity => "企业安保",
            Role::Mediator => "调解员",
            Role::PetitionOfficer => "信访办工作人员",
            Role::Volunteer => "志愿者",
            Role::Resident => "居民",
            Role::Leader => "街道领导",
            Role::Admin => "系统管理员",
        }
    }

    /// The cases this role sees, given the account's grid and station.
    pub fn scope(&self) -> Scope {
        match self {
            Role::Dispatcher | Role::Leader | Role::Admin | Role::Mediator | Role::PetitionOfficer => Scope::All,
            Role::StationOfficer | Role::PatrolMember | Role::EnterpriseSecurity => Scope::Station,
            Role::GridWorker => Scope::Grid,
            Role::Volunteer | Role::Resident => Scope::OwnReports,
        }
    }

    pub fn may(&self, p: Permission) -> bool {
        use Permission as P;
        use Role as R;
        match p {
            P::ViewCases => true,
            P::CreateCase => true,
            // Choosing the channel (110 transfer, hotline…) is for staff; residents and
            // volunteers report through their own channel.
            P::ChooseSource => !matches!(self, R::Resident | R::Volunteer),
            P::ViewReporter => matches!(
                self,
                R::Dispatcher | R::StationOfficer | R::GridWorker | R::Mediator | R::PetitionOfficer | R::Admin
            ),
            P::ViewStatistics => matches!(self, R::Dispatcher | R::StationOfficer | R::Leader | R::Admin),
            P::ManageUsers => matches!(self, R::Admin),
            P::ViewResponders => !matches!(self, R::Resident | R::Volunteer),
            P::UpdateOwnPosition => matches!(
                self,
                R::StationOfficer
                    | R::GridWorker
                    | R::PatrolMember
                    | R::EnterpriseSecurity
                    | R::Mediator
                    | R::Dispatcher
                    | R::Admin
            ),
        }
    }

    /// Which steps of a case this role may take. Field roles work the cases sent to them;
    /// the centre decides; residents rate and ask to reopen their own.
    pub fn may_act(&self, a: ActionKind) -> bool {
        use ActionKind as A;
        use Role as R;
        match self {
            // Warnings and escalations come only from the deadline runner.
            _ if matches!(a, A::Create | A::Warn | A::Escalate) => false,
            R::Dispatcher | R::Admin | R::StationOfficer => true,
            R::GridWorker | R::PatrolMember | R::EnterpriseSecurity | R::Mediator => {
                matches!(
                    a,
                    A::Take
                        | A::Decline
                        | A::ContactParty
                        | A::Arrive
                        | A::Feedback
                        | A::Close
                        | A::Reject
                        | A::Suspend
                        | A::Resume
                )
            }
            R::PetitionOfficer => matches!(
                a,
                A::Accept
                    | A::Dispatch
                    | A::ContactParty
                    | A::Feedback
                    | A::Close
                    | A::Suspend
                    | A::Resume
                    | A::Reopen
                    | A::Archive
            ),
            R::Resident | R::Volunteer => matches!(a, A::Rate | A::Reopen),
            // Leaders approve extensions (延期) and watch.
            R::Leader => a == A::Extend,
        }
    }
}

/// Permissions other than case steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    ViewCases,
    CreateCase,
    ChooseSource,
    ViewReporter,
    ViewStatistics,
    ManageUsers,
    ViewResponders,
    UpdateOwnPosition,
}

/// How far a role's view of cases reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    All,
    /// The grids covered by the account's station.
    Station,
    /// The account's own grid.
    Grid,
    /// Only cases the account itself reported.
    OwnReports,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn the_centre_decides_the_field_acts() {
        assert!(Role::Dispatcher.may_act(ActionKind::Dispatch));
        assert!(!Role::GridWorker.may_act(ActionKind::Dispatch));
        assert!(Role::GridWorker.may_act(ActionKind::Arrive));
        assert!(!Role::Resident.may_act(ActionKind::Close));
        assert!(Role::Resident.may_act(ActionKind::Rate));
        assert!(!Role::Leader.may_act(ActionKind::Accept));
        assert!(Role::Leader.may(Permission::ViewStatistics));
        assert!(!Role::Resident.may(Permission::ViewReporter));
        assert!(!Role::Resident.may(Permission::ChooseSource));
        assert_eq!(Role::GridWorker.scope(), Scope::Grid);
    }
}
