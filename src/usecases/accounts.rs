//! Signing up, logging in, one's own profile and password.

use std::sync::Arc;

use super::{Admitted, Client, Error, GuestList};
use crate::auth::jwt::{Claims, ISSUER};
use crate::auth::{ids, password};
use crate::cache::{LiveToken, LiveUser};
use crate::gate::Denied;
use crate::rules;
use crate::store::{Cap, Refusal, TokenRecord, UserRecord, fold};
use crate::time::{now_micros, now_secs};

pub struct SignUp {
    pub username: String,
    pub email: String,
    pub password: String,
}

pub struct LogIn {
    pub username: String,
    pub password: String,
    pub description: Option<String>,
}

/// A token just put on the list.
pub struct Issued {
    pub token: String,
    pub jti: String,
    pub expires_at: u64,
}

/// Who the caller is.
pub struct Profile {
    pub user: UserRecord,
    pub roles: Arc<[String]>,
}

/// A login that passed its password check.
struct Verified {
    user: UserRecord,
    /// With the generation read before the entry is written (see `gate`).
    live: Option<(Arc<LiveUser>, u64)>,
}

fn required(value: &str, message: &'static str) -> Result<(), Error> {
    match value.is_empty() {
        true => Err(Error::Invalid(message)),
        false => Ok(()),
    }
}

impl GuestList {
    /// Answers the new user's id.
    pub async fn sign_up(&self, form: SignUp) -> Result<String, Error> {
        required(&form.username, "username is empty")?;
        required(&form.email, "email is empty")?;
        required(&form.password, "password is empty")?;
        rules::check_username(&form.username).map_err(Error::Invalid)?;
        rules::check_email(&form.email).map_err(Error::Invalid)?;
        rules::check_password(&form.password).map_err(Error::Invalid)?;
        // Before bcrypt: a taken name must not cost a hash.
        if let Some(taken) = self.store.taken(&form.username, &form.email).await? {
            return Err(taken.into());
        }
        let (secret, cost) = (form.password, self.config.bcrypt_cost);
        let hash = self
            .logins
            .run(move || password::hash(&secret, cost))
            .await??;
        let user = UserRecord {
            id: ids::random_id()?,
            username: form.username,
            email: form.email,
            password_hash: hash,
            created_at: now_secs(),
            disabled: false,
        };
        let id = user.id.clone();
        self.store.sign_up(user).await??;
        tracing::info!(user_id = %id, "user signed up");
        Ok(id)
    }

    /// Checks the password under the brute-force limits and, if it is
    /// right, puts a new token on the list (evicting at the cap). The door
    /// is checked here; the HTTP route checks it itself before the body is
    /// parsed and calls [`GuestList::log_in_admitted`].
    pub async fn log_in(&self, form: LogIn, client: Client) -> Result<Issued, Error> {
        let admitted = self.at_the_door(&client.ip, None)?;
        self.log_in_admitted(form, client, admitted).await
    }

    /// [`GuestList::log_in`] for a login let in at the door.
    pub async fn log_in_admitted(
        &self,
        form: LogIn,
        client: Client,
        mut admitted: Admitted,
    ) -> Result<Issued, Error> {
        required(&form.username, "username is empty")?;
        required(&form.password, "password is empty")?;
        let description = describe_device(form.description, &client.user_agent)?;
        let account = fold(&form.username);
        self.within_limits(&admitted, &account, &client.ip).await?;
        let _account = self.take_turns(&mut admitted, &account, &client.ip).await?;
        // Again: logins that waited their turn may have spent the budget.
        self.within_limits(&admitted, &account, &client.ip).await?;
        let verified = match self.check_password(form.username, form.password).await {
            Ok(Some(verified)) => verified,
            Ok(None) => {
                self.login_failed(&account, &client.ip).await?;
                tracing::info!("login failed");
                return Err(Error::InvalidLogin);
            }
            Err(err) => {
                if matches!(err, Error::Busy) {
                    self.metrics.login_throttled();
                }
                return Err(err);
            }
        };
        self.login_passed(&account, &client.ip).await?;
        self.let_in(&client.ip);
        let issued = self.issue_token(verified, description, client).await?;
        self.metrics.login_succeeded();
        Ok(issued)
    }

    /// The failure limits (counted in the shared store when there is one,
    /// see `limits`); a refusal is remembered for the door.
    async fn within_limits(
        &self,
        admitted: &Admitted,
        account: &str,
        ip: &str,
    ) -> Result<(), Error> {
        let Err(throttled) = self.failure_budget(account, ip).await? else {
            return Ok(());
        };
        self.metrics.login_throttled();
        self.refused_at(admitted, ip, throttled.retry_after);
        Err(Error::Throttled(throttled.retry_after))
    }

    /// bcrypt on the login slots; unknown and disabled users cost the same.
    async fn check_password(
        &self,
        username: String,
        secret: String,
    ) -> Result<Option<Verified>, Error> {
        if !password::plausible(&secret) {
            return Ok(None);
        }
        let guests = self.clone();
        let check = move || guests.check_password_now(&username, &secret);
        self.logins.run(check).await?
    }

    fn check_password_now(&self, username: &str, secret: &str) -> Result<Option<Verified>, Error> {
        let Some(user) = self.store.credentials_of_now(username)? else {
            password::verify(secret, self.dummy_hash());
            return Ok(None);
        };
        if !password::verify(secret, &user.password_hash) || user.disabled {
            return Ok(None);
        }
        let live = match &self.gate {
            Some(gate) => match gate.live_user(&user.id)? {
                Some(live) => Some((live.clone(), live.generation())),
                None => return Ok(None),
            },
            None => None,
        };
        Ok(Some(Verified { user, live }))
    }

    async fn issue_token(
        &self,
        verified: Verified,
        description: String,
        client: Client,
    ) -> Result<Issued, Error> {
        let Some(gate) = self.gate.clone() else {
            return Err(Error::Denied(Denied::Unavailable));
        };
        let now = now_secs();
        let jti = ids::random_id()?;
        let expires_at = now + self.config.token_ttl.as_secs();
        let user_id = verified.user.id.clone();
        let claims = Claims {
            sub: user_id.clone(),
            jti: jti.clone(),
            iat: now,
            exp: expires_at,
            iss: ISSUER.into(),
        };
        let token = gate.keys().issue(&claims)?;
        let record = TokenRecord {
            jti: jti.clone(),
            user_id: user_id.clone(),
            description,
            user_agent: client.user_agent,
            ip: client.ip,
            created_at: now,
            created_us: now_micros(),
            last_used_at: now,
            expires_at,
        };
        let cap = self.cap_for(&user_id).await?;
        match self.store.issue_token(record.clone(), cap).await? {
            Ok(evicted) => self.revoked(&evicted),
            Err(Refusal::TooManyTokens) => return Err(Refusal::TooManyTokens.into()),
            Err(_) => return Err(Error::InvalidLogin),
        }
        if let Some((live, generation)) = verified.live {
            gate.prefill(&token, live, generation, &record);
        }
        tracing::info!(%user_id, "login succeeded");
        Ok(Issued {
            token,
            jti,
            expires_at,
        })
    }

    /// The per-user cap; when evicting at the cap, with the user's in-memory
    /// last-used times, so a use since the last flush counts.
    async fn cap_for(&self, user_id: &str) -> Result<Cap, Error> {
        let (max, evict) = self.cap_policy();
        let mut cap = Cap {
            max,
            evict,
            ..Cap::default()
        };
        // Only a login at the cap pays for walking the cache.
        if evict && self.store.count_tokens_of(user_id).await? >= max {
            cap.recent = self.memory_uses(|user| user == user_id);
        }
        Ok(cap)
    }

    /// `GET /api/v1/me`.
    pub async fn profile(&self, caller: &LiveToken) -> Result<Profile, Error> {
        let user = self.store.user(&caller.user.id).await?;
        let user = user.ok_or(Error::Denied(Denied::Invalid))?;
        Ok(Profile {
            user,
            roles: caller.user.roles(),
        })
    }

    /// Changes the caller's password after checking the current one; every
    /// other device of theirs is signed out, the calling one stays.
    pub async fn change_password(
        &self,
        caller: &LiveToken,
        current: String,
        new: String,
    ) -> Result<usize, Error> {
        required(&new, "new_password is empty")?;
        rules::check_password(&new).map_err(Error::Invalid)?;
        if !password::plausible(&current) {
            return Err(Error::InvalidLogin);
        }
        let (guests, id) = (self.clone(), caller.user.id.clone());
        let rehash = move || guests.rehash_now(&id, &current, &new);
        let Some(new_hash) = self.logins.run(rehash).await?? else {
            self.metrics.login_failed();
            return Err(Error::InvalidLogin);
        };
        let keep = Some(caller.jti.clone());
        let changed = self.store.change_password(&caller.user.id, new_hash, keep);
        let revoked = changed.await?.map_err(|_| Error::Denied(Denied::Invalid))?;
        self.revoked(&revoked);
        tracing::info!(user_id = %caller.user.id, removed = revoked.tokens, "password changed");
        Ok(revoked.tokens)
    }

    /// Checks the current password and hashes the new one. `None` on mismatch.
    fn rehash_now(&self, user_id: &str, current: &str, new: &str) -> Result<Option<String>, Error> {
        let user = self.store.user_now(user_id)?;
        if !user.is_some_and(|u| password::verify(current, &u.password_hash)) {
            return Ok(None);
        }
        Ok(Some(password::hash(new, self.config.bcrypt_cost)?))
    }
}

/// The description a login gives, else its user agent, else a placeholder.
fn describe_device(given: Option<String>, user_agent: &str) -> Result<String, Error> {
    match given {
        Some(d) if d.chars().count() > rules::DESCRIPTION_MAX => {
            Err(Error::Invalid(rules::DESCRIPTION_RULE))
        }
        Some(d) if !d.trim().is_empty() => Ok(d),
        _ if !user_agent.is_empty() => {
            Ok(user_agent.chars().take(rules::DESCRIPTION_MAX).collect())
        }
        _ => Ok("unknown device".to_owned()),
    }
}
