//! What the state-machine tests remember: every token ever issued, as
//! (user, token, id, live), and how an operation picks one.

use std::ops::{Deref, DerefMut};

#[derive(Default)]
pub struct Issued(pub Vec<(u8, String, String, bool)>);

impl Deref for Issued {
    type Target = Vec<(u8, String, String, bool)>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl DerefMut for Issued {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.0
    }
}

impl Issued {
    /// The `k`th (modulo) token issued to `user`, live or not.
    pub fn pick(&self, user: u8, k: u8) -> Option<usize> {
        let mine: Vec<usize> = (0..self.len()).filter(|&i| self[i].0 == user).collect();
        (!mine.is_empty()).then(|| mine[k as usize % mine.len()])
    }

    /// A live token of `user`, if any.
    pub fn live_of(&self, user: u8) -> Option<String> {
        let live = self.iter().find(|t| t.0 == user && t.3);
        live.map(|t| t.1.clone())
    }
}
