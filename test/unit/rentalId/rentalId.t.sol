// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {OpenParams, RentalTerms} from "../../../contracts/types/DataTypes.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract RentalId_Unit_Test is Base {
    function test_ShouldHashTheTerms() external {
        vm.recordLogs();
        vm.prank(renter);
        bytes32 id =
            escrow.open(OpenParams({offerId: offerId, deposit: ONE_HOUR_DEPOSIT, salt: "s"}), ED25519_ACCESS_KEY);
        RentalTerms memory t = openedTerms();
        assertEq(escrow.rentalId(t), keccak256(abi.encode(t)));
        assertEq(escrow.rentalId(t), id);
    }

    function test_WhenAnyFieldChanges() external {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "s");
        bytes32 id = escrow.rentalId(t);
        RentalTerms memory c = _copy(t);
        c.renter = keeper;
        assertTrue(escrow.rentalId(c) != id);
        c = _copy(t);
        c.offerId = 2;
        assertTrue(escrow.rentalId(c) != id);
        c = _copy(t);
        c.pricePerHour -= 1;
        assertTrue(escrow.rentalId(c) != id);
        c = _copy(t);
        c.attester = keeper;
        assertTrue(escrow.rentalId(c) != id);
        c = _copy(t);
        c.feeBps = 0;
        assertTrue(escrow.rentalId(c) != id);
        c = _copy(t);
        c.gracePeriod += 1;
        assertTrue(escrow.rentalId(c) != id);
        c = _copy(t);
        c.salt = "t";
        assertTrue(escrow.rentalId(c) != id);
    }

    function _copy(RentalTerms memory t) internal pure returns (RentalTerms memory) {
        return abi.decode(abi.encode(t), (RentalTerms));
    }
}
