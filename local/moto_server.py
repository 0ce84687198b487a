"""moto's server, with its Route 53 CREATE check replaced by the one AWS makes.

moto refuses a CREATE that is identical to any CREATE it has ever applied in the zone while a record of
that name and type exists, even when the same batch first DELETEs that record. Route 53 applies a batch
as one transaction and refuses a CREATE only if the record (name, type, SetIdentifier) exists at that
point. fledge's DELETE-then-CREATE batches are the documented way to change a record atomically, so a
rollback to the weights a record once had is refused by moto and accepted by AWS. This wrapper makes
moto check what AWS checks. Used by local/moto.ts for the demo and the tests.
"""

import sys

from moto.route53 import models
from moto.route53.exceptions import ResourceRecordAlreadyExists
from moto.server import main


def _history_is_not_state(self, item):
    # Only the CREATE pre-check asks the change history for membership; state is checked below.
    return False


_add_rrset = models.FakeZone.add_rrset


def _add_rrset_if_absent(self, record_set):
    new = models.RecordSet(record_set)
    for existing in self.rrsets:
        if (existing.name, existing.type, existing.set_identifier) == (new.name, new.type, new.set_identifier):
            raise ResourceRecordAlreadyExists(name=new.name, _type=new.type)
    return _add_rrset(self, record_set)


models.ChangeList.__contains__ = _history_is_not_state
models.FakeZone.add_rrset = _add_rrset_if_absent

if __name__ == "__main__":
    sys.exit(main())
